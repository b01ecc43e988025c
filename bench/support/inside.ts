// What a benchmark server itself saw during a window of load, to place a client-side latency tail: inside the
// request handler (the server's own access log), or before it (the event loop busy elsewhere, a GC pause, the
// kernel and the other processes on the cores). Read from the server's stdout and its /metrics; nothing in the
// server is added for the benchmark.
import { percentile } from './load.js';
import type { BenchServer } from './server.js';

export interface InsideMark {
  stdoutAt: number;
  gc: GcTotals;
}

/** Per GC kind (prom-client's labels: major, minor, incremental, weakcb): pauses counted and their total seconds. */
type GcTotals = Record<string, { count: number; seconds: number }>;

export interface InsideView {
  /** POST access-log lines (`"msg":"request"`) written during the window (the /metrics scrapes are GETs). */
  requests: number;
  /** Their `ms`: the app's own time, from the request reaching its first middleware to the response, rounded to 1 ms. */
  handlerP50Ms: number;
  handlerP99Ms: number;
  handlerMaxMs: number;
  /**
   * Event-loop delay over the window (Node's monitorEventLoopDelay through prom-client, reset at each scrape): a timer
   * due every LOOP_RESOLUTION_MS fires late by this much beyond its period. p99 and max, in ms, period subtracted.
   */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** GC pauses during the window, by kind. */
  gc: GcTotals;
}

/** prom-client's default eventLoopMonitoringPrecision: the timer period included in every delay it records. */
export const LOOP_RESOLUTION_MS = 10;
/** The server's log lines are buffered (up to 4 KB or 1 s, README "Operating notes"): wait them out before reading. */
const LOG_FLUSH_MS = 1_200;

async function scrape(server: BenchServer): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  if (!res.ok) throw new Error(`${server.url}/metrics answered ${res.status}`);
  return res.text();
}

/** An unlabelled sample's value. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

function gcTotals(text: string): GcTotals {
  const out: GcTotals = {};
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/gm)) {
    const k = (out[m[2]!] ??= { count: 0, seconds: 0 });
    if (m[1] === 'sum') k.seconds = Number(m[3]);
    else k.count = Number(m[3]);
  }
  return out;
}

/**
 * Starts a window: waits for the log lines of earlier load to be written, notes where stdout stands, and scrapes
 * /metrics (which resets the event-loop delay histogram).
 */
export async function markInside(server: BenchServer): Promise<InsideMark> {
  await new Promise((r) => setTimeout(r, LOG_FLUSH_MS));
  const stdoutAt = server.stdout().length;
  const text = await scrape(server);
  return { stdoutAt, gc: gcTotals(text) };
}

/** Ends the window opened by `mark`. */
export async function readInside(server: BenchServer, mark: InsideMark): Promise<InsideView> {
  const text = await scrape(server);
  await new Promise((r) => setTimeout(r, LOG_FLUSH_MS));
  const ms: number[] = [];
  for (const line of server.stdout().slice(mark.stdoutAt).split('\n')) {
    if (!line.includes('"msg":"request"')) continue;
    try {
      const entry = JSON.parse(line) as { ms?: unknown; method?: unknown };
      if (entry.method === 'POST' && typeof entry.ms === 'number') ms.push(entry.ms);
    } catch {
      // a banner line or a partial write: not an access-log line
    }
  }
  ms.sort((a, b) => a - b);
  const delay = (name: string) => Math.max(0, (sample(text, name) ?? Number.NaN) * 1000 - LOOP_RESOLUTION_MS);
  const end = gcTotals(text);
  const gc: GcTotals = {};
  for (const [kind, v] of Object.entries(end)) {
    const d = { count: v.count - (mark.gc[kind]?.count ?? 0), seconds: v.seconds - (mark.gc[kind]?.seconds ?? 0) };
    if (d.count > 0) gc[kind] = d;
  }
  return {
    requests: ms.length,
    handlerP50Ms: percentile(ms, 0.5),
    handlerP99Ms: percentile(ms, 0.99),
    handlerMaxMs: percentile(ms, 1),
    loopDelayP99Ms: delay('nodejs_eventloop_lag_p99_seconds'),
    loopDelayMaxMs: delay('nodejs_eventloop_lag_max_seconds'),
    gc,
  };
}

/** One line for the report. */
export function describeInside(v: InsideView): string {
  const gc = Object.entries(v.gc)
    .map(([kind, g]) => `${kind} ${g.count} (${(g.seconds * 1000).toFixed(0)} ms in all)`)
    .join(', ');
  return (
    `inside the server over the same window: ${v.requests} requests in its access log, handler time p50 ${v.handlerP50Ms} ms, p99 ${v.handlerP99Ms} ms, max ${v.handlerMaxMs} ms; ` +
    `event-loop delay p99 ${v.loopDelayP99Ms.toFixed(1)} ms, max ${v.loopDelayMaxMs.toFixed(1)} ms (beyond the ${LOOP_RESOLUTION_MS} ms probe period); GC pauses: ${gc || 'none'}`
  );
}
