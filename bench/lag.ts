// Sync lag benchmark (`npm run bench`, section "Sync lag"): a real Handoff process (`start`, own port, fresh
// database) receives signed Stripe `invoice.payment_failed` webhooks at a steady 200/s for 60 s; each one makes
// the dispatcher post a Slack alert to the Slack emulator (loopback, this process, every answer 10 ms late).
// Lag of one event = the emulator's arrival time of its alert (RecordedRequest.at, taken when the request's
// headers arrive) minus the moment its webhook was sent; both clocks are this process's Date.now().
// The alert is matched to its event by the customer email it carries (unique per event).
// Prints p50/p95/p99; asserts nothing beyond "every event reached the provider" (a lost alert is no figure).
import { availableParallelism } from 'node:os';
import { startSlackEmulator } from '../src/sandbox/emulators/index.js';
import { stripeEvent } from '../test/support/stripe-fixtures.js';
import type { DbKind } from '../test/support/db.js';
import { benchDb, DB_LABEL, openLoop, percentile, signedStripeRequest, startServer, STRIPE_BENCH_SECRET } from './support/index.js';
import type { BenchContext, Figure, Section } from './report.js';
import { cpuBetween, sampleDb } from './cpu.js';

export const LAG_RATE = 200;
const LATENCY_MS = 10;
/** After the last webhook, how long the alerts may take to arrive before the run counts them as lost. */
const DRAIN_TIMEOUT_MS = 60_000;

interface LagResult {
  events: number;
  seconds: number;
  ingest: { p50: number; p99: number; failures: number };
  lag: { p50: number; p95: number; p99: number; max: number };
  /** Alerts that had not reached the emulator DRAIN_TIMEOUT_MS after the last webhook (and the Slack jobs' states then). */
  missing: number;
  jobStates: string;
  peakRssMb?: number;
  /** Server CPU (user + system) from the first webhook until the last alert arrived, per event (µs). */
  serverCpuUsPerEvent?: number;
  /** This process (load generator and Slack emulator) over the same span, per event (µs). */
  benchCpuUsPerEvent: number;
  /** PostgreSQL backends serving the server over the same span, per event (µs). */
  dbCpuUsPerEvent?: number;
}


export async function measureLag(kind: DbKind, seconds: number, progress?: (done: number, total: number) => void, rate = LAG_RATE): Promise<LagResult> {
  const count = rate * seconds;
  const d = await benchDb(kind);
  const slack = await startSlackEmulator();
  slack.faults.failFor(3_600_000, { kind: 'delay', ms: LATENCY_MS });
  const run = Date.now().toString(36); // event ids and emails unique per run
  const server = await startServer({
    label: `sync lag ${DB_LABEL[kind]}${rate === LAG_RATE ? '' : ` at ${rate} events/s`}`,
    env: {
      ...d.env,
      STRIPE_WEBHOOK_SECRET: STRIPE_BENCH_SECRET,
      SLACK_WEBHOOK_URL: slack.url,
      SLACK_RATE_LIMIT: '100000/1s', // production paces Slack at 1/s; here pacing must not bind
      // BENCH_LAG_CONCURRENCY: the dispatcher's DISPATCH_CONCURRENCY for this run (default: Handoff's default).
      ...(process.env.BENCH_LAG_CONCURRENCY ? { DISPATCH_CONCURRENCY: process.env.BENCH_LAG_CONCURRENCY } : {}),
    },
  });
  // PostgreSQL: a side connection to read which backends serve the server (their CPU is the database's share).
  const side = kind === 'postgres' ? await d.open({ max: 1 }) : undefined;
  try {
    const sentAt = new Array<number>(count);
    // Built and signed before the clock starts (well inside Stripe's 5-minute signature tolerance): the load
    // generator shares the cores with the server, so it does as little as it can while the load runs.
    const created = Math.floor(Date.now() / 1000);
    const requests = Array.from({ length: count }, (_, i) =>
      signedStripeRequest(
        stripeEvent(
          'invoice.payment_failed',
          'invoice',
          { id: `in_${run}_${i}`, customer: `cus_${run}_${i}`, customer_email: `lag-${run}-${i}@example.com`, amount_due: 4900, currency: 'usd', subscription: null, parent: null },
          { id: `evt_${run}_${i}`, created },
        ),
      ),
    );
    const db0 = side ? await sampleDb(side) : undefined;
    const cpuBefore = server.cpuMs();
    const selfBefore = process.cpuUsage();
    const load = await openLoop({
      baseUrl: server.url,
      count,
      ratePerSecond: rate,
      requestFor: (i) => {
        sentAt[i] = Date.now();
        return requests[i]!;
      },
      onProgress: (done) => progress?.(done, count),
    });
    if (load.failures) throw new Error(`${load.failures} webhooks were not accepted: ${load.errors.join('; ')}`);

    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (slack.messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpuAfter = server.cpuMs();
    const self = process.cpuUsage(selfBefore);
    const benchCpuUsPerEvent = (self.user + self.system) / count;
    const dbCpuUsPerEvent = side && db0 ? (cpuBetween(db0, await sampleDb(side)).databaseMs * 1000) / count : undefined;
    const serverCpuUsPerEvent = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1000) / count : undefined;
    const arrived = new Array<number | undefined>(count);
    const pattern = new RegExp(`lag-${run}-(\\d+)@`);
    for (const r of slack.requests) {
      if (r.method !== 'POST') continue;
      const m = pattern.exec(JSON.stringify(r.body));
      if (!m) continue;
      const i = Number(m[1]);
      arrived[i] ??= r.at; // the first delivery; a retry would be later
    }
    // An alert that never arrived counts as infinitely late: it can only push the percentiles up.
    const lags: number[] = [];
    for (let i = 0; i < count; i++) lags.push(arrived[i] === undefined ? Infinity : arrived[i]! - sentAt[i]!);
    const missing = lags.filter((l) => l === Infinity).length;
    lags.sort((a, b) => a - b);
    let jobStates = '';
    if (missing && kind === 'postgres') {
      const db = await d.open();
      const { rows } = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::integer AS n FROM jobs WHERE connector = 'slack' GROUP BY status ORDER BY status`);
      await db.close();
      jobStates = rows.map((r) => `${r.n} ${r.status}`).join(', ');
    }
    const peakRssMb = await server.stop();
    return {
      events: count,
      seconds,
      ingest: { p50: load.p50Ms, p99: load.p99Ms, failures: load.failures },
      lag: { p50: percentile(lags, 0.5), p95: percentile(lags, 0.95), p99: percentile(lags, 0.99), max: lags.at(-1)! },
      missing,
      jobStates,
      peakRssMb,
      serverCpuUsPerEvent,
      benchCpuUsPerEvent,
      dbCpuUsPerEvent,
    };
  } finally {
    await side?.close();
    await server.stop(); // no-op when already stopped
    await slack.close();
    await d.drop();
  }
}

export async function runLag(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 10 : 60;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const emit = (f: Figure) => {
    figures.push(f);
    ctx.print(f);
  };
  // The target's rate, then half of it: on a small machine the first can exceed what its cores can do (the CPU
  // figures say so), the second shows the lag where there is headroom.
  for (const rate of [LAG_RATE, LAG_RATE / 2]) {
    const kind = 'postgres' as const;
    const label = rate === LAG_RATE ? DB_LABEL[kind] : `${DB_LABEL[kind]} at ${rate} events/s`;
    const r = await measureLag(kind, seconds, (done, total) => ctx.progress(`sync lag ${label}`, done, total), rate);
    emit({ name: `sync lag p50 ${label}`, value: r.lag.p50, unit: 'ms' });
    emit({ name: `sync lag p95 ${label}`, value: r.lag.p95, unit: 'ms', ...(rate === LAG_RATE ? { target: { text: 'p95 ≤ 1000 ms', met: r.lag.p95 <= 1000 } } : {}) });
    emit({ name: `sync lag p99 ${label}`, value: r.lag.p99, unit: 'ms' });
    if (r.serverCpuUsPerEvent !== undefined) {
      const total = r.serverCpuUsPerEvent + (r.dbCpuUsPerEvent ?? 0) + r.benchCpuUsPerEvent;
      emit({
        name: `sync lag CPU per event ${label} (server ${r.serverCpuUsPerEvent.toFixed(0)} + database ${(r.dbCpuUsPerEvent ?? 0).toFixed(0)} + load generator and emulator ${r.benchCpuUsPerEvent.toFixed(0)})`,
        value: total,
        unit: 'µs',
      });
      notes.push(`${label}: at ${rate} events/s that is ${((total * rate) / 1e6).toFixed(2)} cores busy of this machine's ${availableParallelism()}.`);
    }
    notes.push(
      `${label}: ${r.events.toLocaleString('en-US')} events in ${r.seconds} s; webhook answered p50 ${r.ingest.p50.toFixed(1)} ms, p99 ${r.ingest.p99.toFixed(1)} ms; ` +
        `slowest alert ${r.lag.max.toFixed(0)} ms; the emulator's own ${LATENCY_MS} ms answer delay is not in the lag (arrival is timed at its request headers)` +
        (r.peakRssMb !== undefined ? `; server peak RSS ${r.peakRssMb.toFixed(0)} MB.` : '.'),
    );
    if (r.missing) notes.push(`${label}: ${r.missing} alerts had not arrived ${DRAIN_TIMEOUT_MS / 1000} s after the last webhook (counted as infinitely late); Slack jobs then: ${r.jobStates || 'unknown'}.`);
  }
  return {
    title: 'Sync lag',
    method:
      `A Handoff process (\`handoff start\`, its own port and fresh database) receives signed Stripe invoice.payment_failed webhooks at a steady ${LAG_RATE}/s for ${seconds} s (open loop), then, on a new process and database, at ${LAG_RATE / 2}/s. ` +
      `Each one makes the dispatcher post a Slack alert to the Slack emulator on loopback (every answer ${LATENCY_MS} ms late, pacing raised so it does not bind). ` +
      `Lag = the emulator's arrival time of an event's alert minus the moment its webhook was sent (same clock), matched by the customer email in the alert. ` +
      `CPU per event: the server process and the PostgreSQL backends serving it (user + system, /proc), and this benchmark process (load generator and emulator), from the first webhook until the last alert arrived.`,
    figures,
    notes,
  };
}
