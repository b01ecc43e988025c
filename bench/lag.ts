// Sync lag benchmark (`npm run bench`, section "Sync lag"): a real Handoff process (`start`, own port, fresh
// database) receives signed Stripe `invoice.payment_failed` webhooks at a steady 200/s for 60 s; each one makes
// the dispatcher post a Slack alert to the Slack emulator (loopback, this process, every answer 10 ms late).
// Lag of one event = the emulator's arrival time of its alert (RecordedRequest.at, taken when the request's
// headers arrive) minus the moment its webhook was sent; both clocks are this process's Date.now().
// The alert is matched to its event by the customer email it carries (unique per event).
// Prints p50/p95/p99; asserts nothing beyond "every event reached the provider" (a lost alert is no figure).
import { startSlackEmulator } from '../src/sandbox/emulators/index.js';
import { stripeEvent } from '../test/support/stripe-fixtures.js';
import type { DbKind } from '../test/support/db.js';
import { benchDb, DB_LABEL, openLoop, signedStripeRequest, startServer, STRIPE_BENCH_SECRET } from './support/index.js';
import type { BenchContext, Figure, Section } from './report.js';

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
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

export async function measureLag(kind: DbKind, seconds: number, progress?: (done: number, total: number) => void): Promise<LagResult> {
  const count = LAG_RATE * seconds;
  const d = await benchDb(kind);
  const slack = await startSlackEmulator();
  slack.faults.failFor(3_600_000, { kind: 'delay', ms: LATENCY_MS });
  const run = Date.now().toString(36); // event ids and emails unique per run
  const server = await startServer({
    label: `sync lag ${DB_LABEL[kind]}`,
    env: {
      ...d.env,
      STRIPE_WEBHOOK_SECRET: STRIPE_BENCH_SECRET,
      SLACK_WEBHOOK_URL: slack.url,
      SLACK_RATE_LIMIT: '100000/1s', // production paces Slack at 1/s; here pacing must not bind
      // BENCH_LAG_CONCURRENCY: the dispatcher's DISPATCH_CONCURRENCY for this run (default: Handoff's default).
      ...(process.env.BENCH_LAG_CONCURRENCY ? { DISPATCH_CONCURRENCY: process.env.BENCH_LAG_CONCURRENCY } : {}),
    },
  });
  try {
    const sentAt = new Array<number>(count);
    const cpuBefore = server.cpuMs();
    const load = await openLoop({
      baseUrl: server.url,
      count,
      ratePerSecond: LAG_RATE,
      requestFor: (i) => {
        const email = `lag-${run}-${i}@example.com`;
        const event = stripeEvent(
          'invoice.payment_failed',
          'invoice',
          { id: `in_${run}_${i}`, customer: `cus_${run}_${i}`, customer_email: email, amount_due: 4900, currency: 'usd', subscription: null, parent: null },
          { id: `evt_${run}_${i}`, created: Math.floor(Date.now() / 1000) },
        );
        const req = signedStripeRequest(event);
        sentAt[i] = Date.now();
        return req;
      },
      onProgress: (done) => progress?.(done, count),
    });
    if (load.failures) throw new Error(`${load.failures} webhooks were not accepted: ${load.errors.join('; ')}`);

    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (slack.messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpuAfter = server.cpuMs();
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
      lag: { p50: pct(lags, 0.5), p95: pct(lags, 0.95), p99: pct(lags, 0.99), max: lags.at(-1)! },
      missing,
      jobStates,
      peakRssMb,
      serverCpuUsPerEvent,
    };
  } finally {
    await server.stop(); // no-op when already stopped
    await slack.close();
    await d.drop();
  }
}

export async function runLag(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 10 : 60;
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const kind of ['postgres'] as const) {
    const r = await measureLag(kind, seconds, (done, total) => ctx.progress(`sync lag ${DB_LABEL[kind]}`, done, total));
    const label = DB_LABEL[kind];
    const emit = (f: Figure) => {
      figures.push(f);
      ctx.print(f);
    };
    emit({ name: `sync lag p50 ${label}`, value: r.lag.p50, unit: 'ms' });
    emit({ name: `sync lag p95 ${label}`, value: r.lag.p95, unit: 'ms', target: { text: 'p95 ≤ 1000 ms', met: r.lag.p95 <= 1000 } });
    emit({ name: `sync lag p99 ${label}`, value: r.lag.p99, unit: 'ms' });
    if (r.serverCpuUsPerEvent !== undefined) emit({ name: `sync lag server CPU per event ${label} (webhook + alert)`, value: r.serverCpuUsPerEvent, unit: 'µs' });
    notes.push(
      `${label}: ${r.events.toLocaleString('en-US')} events in ${r.seconds} s; webhook answered p50 ${r.ingest.p50.toFixed(1)} ms, p99 ${r.ingest.p99.toFixed(1)} ms; ` +
        `slowest alert ${r.lag.max.toFixed(0)} ms; the emulator's own ${LATENCY_MS} ms answer delay is not in the lag (arrival is timed at its request headers)` +
        (r.peakRssMb !== undefined ? `; server peak RSS ${r.peakRssMb.toFixed(0)} MB` : '') +
        (r.serverCpuUsPerEvent !== undefined ? `; server CPU ${r.serverCpuUsPerEvent.toFixed(0)} µs per event (its webhook and its alert).` : '.'),
    );
    if (r.missing) notes.push(`${label}: ${r.missing} alerts had not arrived ${DRAIN_TIMEOUT_MS / 1000} s after the last webhook (counted as infinitely late); Slack jobs then: ${r.jobStates || 'unknown'}.`);
  }
  return {
    title: 'Sync lag',
    method:
      `A Handoff process (\`handoff start\`, its own port and fresh database) receives signed Stripe invoice.payment_failed webhooks at a steady ${LAG_RATE}/s for ${seconds} s (open loop). ` +
      `Each one makes the dispatcher post a Slack alert to the Slack emulator on loopback (every answer ${LATENCY_MS} ms late, pacing raised so it does not bind). ` +
      `Lag = the emulator's arrival time of an event's alert minus the moment its webhook was sent (same clock), matched by the customer email in the alert.`,
    figures,
    notes,
  };
}
