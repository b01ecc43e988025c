// Keep-alive HTTP load for benchmarks, on node:http (lighter than fetch, so the generator takes less of the
// CPU it shares with the server). Latencies go into a perf_hooks histogram (nanosecond resolution).
// Closed loop: `concurrency` senders, each sending its next request when the previous answered (throughput).
// Open loop: requests at a fixed rate whatever the answers; latency counts from the SCHEDULED send time,
// so a stalled server shows up in the tail instead of silently slowing the sender (no coordinated omission).
import http from 'node:http';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** The nearest-rank percentile `p` (0–1] of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : Number.NaN;
}

export interface BenchRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface LoadResult {
  sent: number;
  /** Answers whose status was not the expected one (counted, not thrown, up to the run's end). */
  failures: number;
  /** First few unexpected statuses / errors, for the report. */
  errors: string[];
  seconds: number;
  /** Answered requests per second over the whole run. */
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  histogram: RecordableHistogram;
}

export interface LoadClient {
  request(req: BenchRequest): Promise<{ status: number; body: string }>;
  close(): void;
}

/** A keep-alive client for one base URL, at most `maxSockets` connections. */
export function loadClient(baseUrl: string, maxSockets: number): LoadClient {
  const u = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    request: (req) =>
      new Promise((resolve, reject) => {
        const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
        const r = http.request(
          {
            agent,
            host: u.hostname,
            port: u.port,
            method: req.method ?? 'POST',
            path: req.path,
            headers: { ...(req.headers ?? {}), ...(body ? { 'content-length': String(body.length) } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        r.on('error', reject);
        r.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function summarise(h: RecordableHistogram, sent: number, failures: number, errors: string[], seconds: number): LoadResult {
  const ms = (ns: number) => ns / 1e6;
  return {
    sent,
    failures,
    errors,
    seconds,
    rate: (sent - failures) / seconds,
    p50Ms: ms(h.percentile(50)),
    p95Ms: ms(h.percentile(95)),
    p99Ms: ms(h.percentile(99)),
    maxMs: ms(h.max),
    histogram: h,
  };
}

const recordNs = (h: RecordableHistogram, startedMs: number) => h.record(Math.max(1, Math.round((performance.now() - startedMs) * 1e6)));

/**
 * Sends every request of `requests` once, `concurrency` at a time, over `concurrency` keep-alive connections.
 * `expect` (default 200) is the status that counts as success. `onProgress(done)` after each answer.
 */
export async function closedLoop(opts: {
  baseUrl: string;
  requests: BenchRequest[];
  concurrency: number;
  expect?: number;
  onProgress?: (done: number) => void;
}): Promise<LoadResult> {
  const client = loadClient(opts.baseUrl, opts.concurrency);
  const h = createHistogram();
  const errors: string[] = [];
  let failures = 0;
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < opts.requests.length) {
          const req = opts.requests[next++]!;
          const s = performance.now();
          try {
            const r = await client.request(req);
            recordNs(h, s);
            if (r.status !== (opts.expect ?? 200)) {
              failures++;
              if (errors.length < 5) errors.push(`${r.status} ${r.body.slice(0, 200)}`);
            }
          } catch (err) {
            failures++;
            if (errors.length < 5) errors.push((err as Error).message);
          }
          opts.onProgress?.(++done);
        }
      }),
    );
  } finally {
    client.close();
  }
  return summarise(h, opts.requests.length, failures, errors, (performance.now() - t0) / 1000);
}

/**
 * Sends `count` requests at `ratePerSecond` (request i is due at i / rate seconds), without waiting for answers,
 * over at most `maxSockets` keep-alive connections (default 256; requests queue in the agent beyond that,
 * and the queueing counts as latency). `requestFor(i)` builds request i just before it is due.
 */
export async function openLoop(opts: {
  baseUrl: string;
  count: number;
  ratePerSecond: number;
  requestFor: (i: number) => BenchRequest;
  maxSockets?: number;
  expect?: number;
  onProgress?: (done: number) => void;
}): Promise<LoadResult> {
  const client = loadClient(opts.baseUrl, opts.maxSockets ?? 256);
  const h = createHistogram();
  const errors: string[] = [];
  let failures = 0;
  let done = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < opts.count; i++) {
      const due = t0 + (i * 1000) / opts.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const req = opts.requestFor(i);
      inflight.push(
        client.request(req).then(
          (r) => {
            recordNs(h, due);
            if (r.status !== (opts.expect ?? 200)) {
              failures++;
              if (errors.length < 5) errors.push(`${r.status} ${r.body.slice(0, 200)}`);
            }
            opts.onProgress?.(++done);
          },
          (err: Error) => {
            failures++;
            if (errors.length < 5) errors.push(err.message);
            opts.onProgress?.(++done);
          },
        ),
      );
    }
    await Promise.all(inflight);
  } finally {
    client.close();
  }
  return summarise(h, opts.count, failures, errors, (performance.now() - t0) / 1000);
}
