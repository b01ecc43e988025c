// Ingest benchmark (issue 7, item 1): signed Stripe webhooks over real HTTP (keep-alive, a real port) to a Handoff
// server in its own process — verify → one transaction → 200 — at concurrency 1/8/32/64, on PGlite and on
// PostgreSQL. Baseline in the same run: the raw database limit, i.e. the SAME rows each event wrote (inbox row,
// customer, identities, watermarks, subscriptions, timeline, jobs), read back from Handoff's database and written again by a bare
// driver loop into a fresh database: no HTTP, no verification, no reads, one transaction per event, the same
// connection count (PostgreSQL: Handoff's pool of 10, shared by the same number of concurrent senders; PGlite: its
// one connection). Then p99 latency under paced open-loop load at half the peak rate.
// Prints figures, asserts nothing.
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHistogram, performance } from 'node:perf_hooks';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { fromStripe } from '../src/events/index.js';
import { identityPairs } from '../src/pipeline/customers.js';
import { stripeEvent, type StripeEventJson } from '../test/support/stripe-fixtures.js';
import type { BenchContext, Figure, Section } from './report.js';
import { cpuBetween, sampleCpu, sampleDb } from './cpu.js';
import { benchDb, closedLoop, DB_LABEL, openLoop, peaks, runOnce, signedStripeRequest, startServer, STRIPE_BENCH_SECRET, type BenchDb, type LoadResult } from './support/index.js';
import { diskSyncProbe, type DiskSyncResult } from './support/disk.js';
import { describeInside, LOOP_RESOLUTION_MS, markInside, readInside, type InsideView } from './support/inside.js';

const LEVELS = [1, 8, 32, 64] as const;
/** Handoff's PostgreSQL pool size (openPostgres default); the raw loop gets the same. */
const PG_POOL = 10;

interface Plan {
  /** Events per concurrency level (c=1 gets a quarter: it is the slowest and its rate is the least in doubt). */
  perLevel: number;
  /** Seconds of paced load at half the peak rate. */
  pacedSeconds: number;
  /** Warm-up batches of WARM_BATCH events before the first measured level. */
  warmBatches: number;
}

const WARM_BATCH = 1000;

export function ingestPlan(quick: boolean): Plan {
  return quick ? { perLevel: 240, pacedSeconds: 3, warmBatches: 1 } : { perLevel: 2000, pacedSeconds: 10, warmBatches: 8 };
}

let runSeq = 0;
/**
 * Events for `customers` customers, each customer's lifecycle as Stripe sends it: checkout completed (creates the
 * customer, links email and Stripe id), subscription created (trial), invoice paid (paid), payment failed
 * (past_due, alert job) — built from Stripe's sample objects, one created-second apart. Round-robin over
 * customers, so one customer's events are far apart and concurrent senders rarely wait on one customer's lock.
 */
export function lifecycleEvents(count: number, tag: string): StripeEventJson[] {
  const run = `${tag}-${++runSeq}`;
  const customers = Math.ceil(count / 4);
  const out: StripeEventJson[] = [];
  const at = 1_767_225_600;
  for (let step = 0; step < 4; step++) {
    for (let k = 0; k < customers && out.length < count; k++) {
      const cus = `cus_${run}_${k}`;
      const sub = `sub_${run}_${k}`;
      const email = `buyer.${run}.${k}@example.com`;
      const created = at + step;
      out.push(
        step === 0
          ? stripeEvent('checkout.session.completed', 'checkout.session', { id: `cs_${run}_${k}`, customer: cus, subscription: sub, mode: 'subscription', payment_status: 'no_payment_required', customer_details: { email, name: `Buyer ${k}` } }, { created })
          : step === 1
            ? stripeEvent('customer.subscription.created', 'subscription', { id: sub, customer: cus, status: 'trialing' }, { created })
            : step === 2
              ? stripeEvent('invoice.paid', 'invoice', { id: `in_${run}_${k}_a`, customer: cus, customer_email: email, amount_paid: 2900, subscription: null, parent: null }, { created })
              : stripeEvent('invoice.payment_failed', 'invoice', { id: `in_${run}_${k}_b`, customer: cus, customer_email: email, amount_due: 2900, subscription: null, parent: null }, { created }),
      );
    }
  }
  // Stripe event ids must be unique across levels and engines.
  for (const e of out) e.id = `evt_${run}_${e.id}`;
  return out;
}

/** One event's rows as Handoff wrote them, for the raw loop to write again. */
interface EventRows {
  inbox: { source: string; event_id: string; type: string; occurred_at: Date; payload: unknown; outcome: string; outcome_reason: string | null; customer_id: string | null };
  customer: { id: string; email: string | null; name: string | null; lifecycle: string; support: string } | null;
  identities: Array<[string, string]>;
  watermarks: { keys: string[]; created: number } | null;
  timeline: Array<{ kind: string; from_state: string | null; to_state: string | null; rule: string | null; detail: unknown }>;
  jobs: Array<{ connector: string; kind: string; idempotency_key: string; payload: unknown; status: string; max_attempts: number; result: unknown }>;
  /** The Stripe subscription status the event reported (migration 0016), if any. */
  subscription: { id: string; status: string; created: number } | null;
  /** The Stripe invoice the event reported (migration 0019), if any. */
  invoice: { id: string; customer: string | null; payment: string; amountDue: number | null; currency: string | null; created: number } | null;
}

/** Reads back every event Handoff recorded, with the rows it wrote, in arrival order. */
async function captureRows(b: BenchDb): Promise<EventRows[]> {
  const db = await b.open();
  try {
    const { rows } = await db.query<{
      id: number;
      source: string;
      event_id: string;
      type: string;
      occurred_at: Date;
      payload: unknown;
      outcome: string;
      outcome_reason: string | null;
      customer_id: string | null;
      customer: EventRows['customer'];
      timeline: EventRows['timeline'];
      jobs: EventRows['jobs'];
    }>(
      `SELECT e.id, e.source, e.event_id, e.type, e.occurred_at, e.payload, e.outcome, e.outcome_reason, e.customer_id,
              (SELECT to_jsonb(c) FROM (SELECT id, email, name, lifecycle, support FROM customers WHERE id = e.customer_id) c) AS customer,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('kind', t.kind, 'from_state', t.from_state, 'to_state', t.to_state, 'rule', t.rule, 'detail', t.detail) ORDER BY t.id) FROM timeline t WHERE t.inbox_id = e.id), '[]') AS timeline,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('connector', j.connector, 'kind', j.kind, 'idempotency_key', j.idempotency_key, 'payload', j.payload, 'status', j.status, 'max_attempts', j.max_attempts, 'result', j.result) ORDER BY j.id) FROM jobs j WHERE j.inbox_id = e.id), '[]') AS jobs
       FROM inbox_events e WHERE e.source = 'stripe' ORDER BY e.id`,
    );
    return rows.map((r) => {
      const ev = fromStripe(r.payload);
      return {
        inbox: { source: r.source, event_id: r.event_id, type: r.type, occurred_at: r.occurred_at, payload: r.payload, outcome: r.outcome, outcome_reason: r.outcome_reason, customer_id: r.customer_id },
        customer: r.customer,
        identities: r.customer ? identityPairs(ev.identities) : [],
        watermarks: ev.watermark && r.outcome !== 'stale' ? { keys: ev.watermark.keys, created: ev.watermark.created } : null,
        timeline: r.timeline,
        jobs: r.jobs,
        subscription: r.customer && ev.subscription ? { ...ev.subscription, created: Math.floor(ev.occurredAt.getTime() / 1000) } : null,
        invoice: ev.invoice ? { ...ev.invoice, created: Math.floor(ev.occurredAt.getTime() / 1000) } : null,
      };
    });
  } finally {
    await db.close();
  }
}

/** The raw loop's statements: one per table, the driver's plain parameterised API. */
const RAW = {
  customer: `INSERT INTO customers (id, email, name, lifecycle, support) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET lifecycle = EXCLUDED.lifecycle, support = EXCLUDED.support, updated_at = now()`,
  identities: `INSERT INTO identities (kind, value, customer_id) SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS t(k, v) ON CONFLICT DO NOTHING`,
  watermarks: `INSERT INTO watermarks (object_key, created, event_id) SELECT k, $2, $3 FROM unnest($1::text[]) AS k
               ON CONFLICT (object_key) DO UPDATE SET created = EXCLUDED.created, event_id = EXCLUDED.event_id`,
  subscription: `INSERT INTO subscriptions (id, customer_id, status, created) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, created = EXCLUDED.created`,
  invoice: `INSERT INTO invoices (id, stripe_customer, failed_inbox_id, failed_at, failed_created, amount_due, currency, paid_created, settled_at)
            VALUES ($1, $2, $3, CASE WHEN $3::bigint IS NOT NULL THEN now() END, $4, $5, $6, $7, CASE WHEN $3::bigint IS NULL THEN now() END)
            ON CONFLICT (id) DO UPDATE SET paid_created = EXCLUDED.paid_created, settled_at = EXCLUDED.settled_at`,
  inbox: `INSERT INTO inbox_events (source, event_id, type, occurred_at, payload, outcome, outcome_reason, customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
  timeline: `INSERT INTO timeline (customer_id, inbox_id, kind, from_state, to_state, rule, detail)
             SELECT $1, $2, t.kind, t.from_state, t.to_state, t.rule, t.detail FROM jsonb_to_recordset($3::jsonb) AS t(kind text, from_state text, to_state text, rule text, detail jsonb)`,
  jobs: `INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, status, max_attempts, result)
         SELECT j.connector, j.kind, j.idempotency_key, $1, $2, j.payload, j.status, j.max_attempts, j.result
         FROM jsonb_to_recordset($3::jsonb) AS j(connector text, kind text, idempotency_key text, payload jsonb, status text, max_attempts integer, result jsonb)`,
};

type RawQuery = (text: string, params: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

async function writeRaw(q: RawQuery, e: EventRows): Promise<void> {
  const c = e.customer;
  if (c) {
    await q(RAW.customer, [c.id, c.email, c.name, c.lifecycle, c.support]);
    if (e.identities.length) await q(RAW.identities, [e.identities.map((p) => p[0]), e.identities.map((p) => p[1]), c.id]);
  }
  if (e.watermarks) await q(RAW.watermarks, [e.watermarks.keys, e.watermarks.created, e.inbox.event_id]);
  if (c && e.subscription) await q(RAW.subscription, [e.subscription.id, c.id, e.subscription.status, e.subscription.created]);
  const i = e.inbox;
  const { rows } = await q(RAW.inbox, [i.source, i.event_id, i.type, i.occurred_at, JSON.stringify(i.payload), i.outcome, i.outcome_reason, c ? i.customer_id : null]);
  const inboxId = rows[0]!.id;
  const v = e.invoice;
  if (v) {
    const failed = v.payment === 'failed';
    await q(RAW.invoice, [v.id, v.customer, failed ? inboxId : null, failed ? v.created : null, failed && v.amountDue != null ? JSON.stringify(v.amountDue) : null, failed ? v.currency : null, v.payment === 'paid' ? v.created : null]);
  }
  if (c && e.timeline.length) await q(RAW.timeline, [c.id, inboxId, JSON.stringify(e.timeline)]);
  if (c && e.jobs.length) await q(RAW.jobs, [c.id, inboxId, JSON.stringify(e.jobs)]);
}

interface RawRunner {
  /** Rate, and CPU per event (this process plus, on PostgreSQL, the backends serving it), µs. */
  run(events: EventRows[], concurrency: number): Promise<{ rate: number; cpuUs: number }>;
  /** Open loop at `rate` (arrivals do not wait for answers): latency of each event's transaction from its scheduled start. */
  paced(events: EventRows[], rate: number): Promise<{ p50Ms: number; p99Ms: number }>;
  close(): Promise<void>;
}

/** Runs `tx` for event i at t0 + i / rate whether or not earlier ones have finished; latency from the scheduled time. */
async function pacedLoop(events: EventRows[], rate: number, tx: (e: EventRows) => Promise<void>): Promise<{ p50Ms: number; p99Ms: number }> {
  const h = createHistogram();
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(tx(events[i]!).then(() => h.record(Math.max(1, Math.round((performance.now() - due) * 1e6)))));
  }
  await Promise.all(inflight);
  return { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6 };
}

/** The bare driver loop on a fresh, migrated database of the same engine. */
async function rawRunner(b: BenchDb): Promise<RawRunner> {
  // Migrate through Handoff's own code, then write through the bare driver only.
  await (await b.open()).close();
  const loop = async (events: EventRows[], concurrency: number, tx: (e: EventRows) => Promise<void>, backends: () => Promise<number[]> = async () => []) => {
    let next = 0;
    const c0 = sampleCpu(await backends());
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < events.length) await tx(events[next++]!);
    }));
    const rate = events.length / ((performance.now() - t0) / 1000);
    const used = cpuBetween(c0, sampleCpu(await backends()));
    return { rate, cpuUs: ((used.processMs + used.databaseMs) * 1000) / events.length };
  };
  if (b.kind === 'pglite') {
    const db = new PGlite(b.dataDir);
    await db.waitReady;
    const tx = (e: EventRows) => db.transaction((t) => writeRaw((text, p) => t.query(text, p), e)).then(() => undefined);
    return {
      run: (events, concurrency) => loop(events, concurrency, tx),
      paced: (events, rate) => pacedLoop(events, rate, tx),
      close: () => db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: b.url, max: PG_POOL });
  // The driver's own prepared statements (named once per connection), as Handoff's PostgreSQL adapter uses.
  const named = new Map(Object.entries(RAW).map(([k, v]) => [v, `raw_${k}`]));
  const backends = async () => (await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)).rows.map((r) => r.pid);
  const tx = async (e: EventRows) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await writeRaw((text, values) => client.query({ name: named.get(text), text, values }), e);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  return {
    run: (events, concurrency) => loop(events, concurrency, tx, backends),
    paced: (events, rate) => pacedLoop(events, rate, tx),
    close: () => pool.end(),
  };
}

interface LevelResult {
  c: number;
  handoff: LoadResult;
  raw: number;
  /** Handoff server CPU (user + system) per event at this level, µs (PGlite: the database's work included). */
  serverCpuUs?: number;
  /** PostgreSQL backends' CPU per event serving the server, µs. */
  dbCpuUs?: number;
  /** The raw loop's CPU per event (its process and, on PostgreSQL, its backends), µs. */
  rawCpuUs?: number;
}

async function runEngine(ctx: BenchContext, kind: 'pglite' | 'postgres', plan: Plan, figures: Figure[], notes: string[]): Promise<void> {
  const label = DB_LABEL[kind];
  const d = await benchDb(kind);
  const rawDb = await benchDb(kind);
  try {
    // The first open (PGlite: initdb) and the migrations, as `handoff migrate` before a first start: its peak is
    // recorded on its own, so the server's figure is the one of a process serving load.
    await runOnce({ label: `handoff migrate on a new ${label} database`, env: d.env, args: ['migrate'] });
    const server = await startServer({ label: `ingest ${label}`, env: { ...d.env, STRIPE_WEBHOOK_SECRET: STRIPE_BENCH_SECRET } });
    const levels: Array<{ c: number; handoff: LoadResult; events: number; serverCpuUs?: number; dbCpuUs?: number }> = [];
    // PostgreSQL: a side connection to read which backends serve the server (their CPU is the database's share).
    const side = kind === 'postgres' ? await d.open({ max: 1 }) : undefined;
    let paced: { rate: number; r: LoadResult; inside: InsideView } | undefined;
    try {
      // Warm-up (JIT, prepared statements, caches): not measured. A server that has just started is not the one that
      // serves a founder for weeks: measured on PostgreSQL at c=8, its CPU per event fell from ~1,010 µs over its first
      // 4,000 events to 580-680 µs from 8,000 on (a 200-event warm-up left the c=1 and c=8 levels inside that descent).
      const warm: number[] = [];
      for (let i = 0; i < plan.warmBatches; i++) {
        const cpu0 = server.cpuMs();
        await closedLoop({ baseUrl: server.url, requests: lifecycleEvents(WARM_BATCH, 'warm').map(signedStripeRequest), concurrency: 8, onProgress: (k) => ctx.progress(`ingest ${label} warm-up`, i * WARM_BATCH + k, plan.warmBatches * WARM_BATCH) });
        const cpu1 = server.cpuMs();
        if (cpu0 !== undefined && cpu1 !== undefined) warm.push(((cpu1 - cpu0) * 1000) / WARM_BATCH);
      }
      if (warm.length) notes.push(`${label}: warm-up ${plan.warmBatches * WARM_BATCH} events at c=8 before the first level; the server's CPU per event over each ${WARM_BATCH}: ${warm.map((u) => u.toFixed(0)).join(', ')} µs.`);
      for (const c of LEVELS) {
        const n = c === 1 ? Math.ceil(plan.perLevel / 4) : plan.perLevel;
        const requests = lifecycleEvents(n, `c${c}${kind[1]}`).map(signedStripeRequest);
        const db0 = side ? await sampleDb(side) : undefined;
        const cpu0 = server.cpuMs();
        const r = await closedLoop({ baseUrl: server.url, requests, concurrency: c, onProgress: (k) => ctx.progress(`ingest ${label} c=${c}`, k, n) });
        const cpu1 = server.cpuMs();
        const dbCpuUs = side && db0 ? (cpuBetween(db0, await sampleDb(side)).databaseMs * 1000) / n : undefined;
        if (r.failures) throw new Error(`ingest ${label} c=${c}: ${r.failures} requests failed: ${r.errors.join(' | ')}`);
        levels.push({ c, handoff: r, events: n, serverCpuUs: cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1000) / n : undefined, dbCpuUs });
      }
      // Half the best closed-loop rate, open loop (arrivals do not wait for answers).
      const peak = Math.max(...levels.map((l) => l.handoff.rate));
      const rate = Math.max(1, Math.round(peak / 2));
      const count = Math.max(10, Math.round(rate * plan.pacedSeconds));
      const events = lifecycleEvents(count, `p${kind[1]}`);
      const mark = await markInside(server);
      const r = await openLoop({ baseUrl: server.url, count, ratePerSecond: rate, requestFor: (i) => signedStripeRequest(events[i]), onProgress: (k) => ctx.progress(`ingest ${label} paced`, k, count) });
      if (r.failures) throw new Error(`ingest ${label} paced: ${r.failures} requests failed: ${r.errors.join(' | ')}`);
      paced = { rate, r, inside: await readInside(server, mark) };
    } finally {
      await side?.close();
      const peakMb = await server.stop();
      if (peakMb !== undefined) notes.push(`${label}: Handoff server peak RSS through this section ${peakMb.toFixed(0)} MB (${server.runner}).`);
    }

    // The raw limit, on the same rows, level by level.
    const captured = await captureRows(d);
    const byLevel = new Map<string, EventRows[]>();
    for (const e of captured) {
      const m = e.inbox.event_id.match(/^evt_(c\d+[go]|p[go])-\d+_/);
      if (m) byLevel.set(m[1]!, [...(byLevel.get(m[1]!) ?? []), e]);
    }
    const raw = await rawRunner(rawDb);
    const results: LevelResult[] = [];
    let rawPaced: { p50Ms: number; p99Ms: number } | undefined;
    let disk: DiskSyncResult | undefined;
    try {
      for (const l of levels) {
        const rows = byLevel.get(`c${l.c}${kind[1]}`) ?? [];
        if (rows.length !== l.events) throw new Error(`ingest ${label} c=${l.c}: ${rows.length} events recorded, ${l.events} sent`);
        ctx.progress(`raw ${label} c=${l.c}`, 0, 1);
        const { rate, cpuUs } = await raw.run(rows, l.c);
        results.push({ c: l.c, handoff: l.handoff, raw: rate, serverCpuUs: l.serverCpuUs, dbCpuUs: l.dbCpuUs, rawCpuUs: cpuUs });
        ctx.progress(`raw ${label} c=${l.c}`, 1, 1);
      }
      if (paced) {
        // The same events the paced run recorded, written by the bare loop at the same rate: what the database
        // and this machine alone give at that load (the floor under Handoff's latency).
        const rows = byLevel.get(`p${kind[1]}`) ?? [];
        if (rows.length !== paced.r.sent) throw new Error(`ingest ${label} paced: ${rows.length} events recorded, ${paced.r.sent} sent`);
        ctx.progress(`raw ${label} paced`, 0, 1);
        rawPaced = await raw.paced(rows, paced.rate);
        ctx.progress(`raw ${label} paced`, 1, 1);
        // The floor under both: the disk's own flush latency at that rate, for as long.
        ctx.progress(`disk flush ${label} paced`, 0, 1);
        disk = await diskSyncProbe(tmpdir(), paced.rate, plan.pacedSeconds);
        ctx.progress(`disk flush ${label} paced`, 1, 1);
      }
    } finally {
      await raw.close();
    }

    for (const r of results) {
      const rateFig: Figure = {
        name: `ingest ${label} c=${r.c}`,
        value: r.handoff.rate,
        unit: 'events/s',
        baseline: { name: `raw ${label} c=${r.c}`, value: r.raw, unit: 'events/s' },
        target: { text: '≥ 0.75 of raw', met: r.handoff.rate >= 0.75 * r.raw },
      };
      ctx.print(rateFig);
      figures.push(rateFig);
      for (const [p, v] of [['p50', r.handoff.p50Ms], ['p99', r.handoff.p99Ms]] as const) {
        const f: Figure = { name: `ingest ${label} c=${r.c} ${p} latency`, value: v, unit: 'ms' };
        ctx.print(f);
        figures.push(f);
      }
      if (r.serverCpuUs !== undefined) {
        // CPU per event does not swing with whatever else shares the cores; wall-clock rates do.
        const total = r.serverCpuUs + (r.dbCpuUs ?? 0);
        const f: Figure = {
          name: `ingest ${label} c=${r.c} CPU per event (server${r.dbCpuUs !== undefined ? ` ${r.serverCpuUs.toFixed(0)} + database ${r.dbCpuUs.toFixed(0)}` : ', database inside'})`,
          value: total,
          unit: 'µs',
          ...(r.rawCpuUs !== undefined ? { baseline: { name: `raw ${label} c=${r.c} CPU per event (driver loop + database)`, value: r.rawCpuUs, unit: 'µs' } } : {}),
        };
        ctx.print(f);
        figures.push(f);
      }
    }
    if (paced) {
      const f: Figure = {
        name: `ingest ${label} p99 latency at half peak (${paced.rate} events/s, open loop, ${paced.r.sent} events)`,
        value: paced.r.p99Ms,
        unit: 'ms',
        ...(rawPaced ? { baseline: { name: `raw ${label} p99 latency at the same rate (open loop)`, value: rawPaced.p99Ms, unit: 'ms' } } : {}),
        target: { text: 'p99 ≤ 10 ms', met: paced.r.p99Ms <= 10 },
      };
      ctx.print(f);
      figures.push(f);
      const f50: Figure = {
        name: `ingest ${label} p50 latency at half peak`,
        value: paced.r.p50Ms,
        unit: 'ms',
        ...(rawPaced ? { baseline: { name: `raw ${label} p50 latency at the same rate (open loop)`, value: rawPaced.p50Ms, unit: 'ms' } } : {}),
      };
      ctx.print(f50);
      figures.push(f50);
      // Where the tail is: the server's own handler time and event-loop delay over the same window (bench/support/inside.ts).
      const fh: Figure = { name: `ingest ${label} p99 handler time at half peak (the server's access log, ${paced.inside.requests} requests)`, value: paced.inside.handlerP99Ms, unit: 'ms' };
      const fl: Figure = { name: `ingest ${label} p99 event-loop delay at half peak (the server's, beyond its ${LOOP_RESOLUTION_MS} ms probe period)`, value: paced.inside.loopDelayP99Ms, unit: 'ms' };
      for (const f of [fh, fl]) {
        ctx.print(f);
        figures.push(f);
      }
      notes.push(`${label} at half peak, ${describeInside(paced.inside)}. The client's latency minus the handler's is time before the app saw the request: the event loop busy with other requests or a GC pause, the kernel, the other processes on the cores.`);
      if (disk) {
        const fd: Figure = { name: `disk write + fdatasync p99 at the same rate (8 KiB, open loop, ${disk.count} flushes)`, value: disk.p99Ms, unit: 'ms' };
        ctx.print(fd);
        figures.push(fd);
        notes.push(
          `${label}: the disk probe (the floor under any durable commit at ${paced.rate}/s${await sameDevice(d)}${kind === 'pglite' ? '; PGlite itself never flushes, see README "Durable where it matters"' : ''}): p50 ${disk.p50Ms.toFixed(2)} ms, p99 ${disk.p99Ms.toFixed(2)} ms, ${disk.stalls} of ${disk.count} flushes took ≥ 50 ms, the longest ${disk.maxMs.toFixed(0)} ms. A stall holds every commit due while it lasts; the three paced runs (Handoff, the bare loop, this probe) run one after another, so a stall may fall in one and miss the others.`,
        );
      }
    }
    const rowsPerEvent = captured.length
      ? (captured.reduce((s, e) => s + 1 + (e.customer ? 1 : 0) + e.identities.length + (e.watermarks?.keys.length ?? 0) + (e.subscription ? 1 : 0) + e.timeline.length + e.jobs.length, 0) / captured.length).toFixed(1)
      : '0';
    notes.push(`${label}: ${captured.length} events recorded, ${rowsPerEvent} rows written per event on average (inbox, customer, identities, watermarks, subscriptions, timeline, jobs).`);
  } finally {
    await d.drop();
    await rawDb.drop();
  }
}

/** Whether the probe's directory is on the database's own file system, as far as this process can tell. */
async function sameDevice(d: BenchDb): Promise<string> {
  let dataDir = d.dataDir;
  if (!dataDir && d.url) {
    const c = new pg.Client({ connectionString: d.url });
    try {
      await c.connect();
      dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory;
    } catch {
      dataDir = undefined; // not a superuser, or gone: unknown
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  try {
    return dataDir && statSync(dataDir).dev === statSync(tmpdir()).dev ? ', on the database\'s file system' : ', on another file system than the database\'s';
  } catch {
    return ', in the temporary directory; the database\'s file system could not be read';
  }
}

export async function runIngest(ctx: BenchContext, kinds: ReadonlyArray<'pglite' | 'postgres'> = ['pglite', 'postgres']): Promise<Section> {
  const plan = ingestPlan(ctx.quick);
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const kind of kinds) await runEngine(ctx, kind, plan, figures, notes);
  return {
    title: 'Ingest',
    method: [
      `Signed Stripe webhooks (a customer lifecycle from Stripe's sample objects: checkout completed, subscription created, invoice paid, payment failed) are POSTed over keep-alive HTTP to a Handoff server in its own process (\`handoff start\`, no connectors configured, so effects are written as skipped jobs), ${plan.perLevel} events per concurrency level (a quarter of that at c=1), after a warm-up of ${plan.warmBatches * WARM_BATCH} events (a server that has run for a while, as in production: its CPU per event settles only after several thousand).`,
      `Baseline: every event's rows are read back from Handoff's database and written again into a fresh database by a bare driver loop (no HTTP, no verification, no reads, one statement per table, one transaction per event) with the same concurrency and connection count (PostgreSQL: a pool of ${PG_POOL}, as Handoff's; PGlite: its one connection, in the benchmark process). The \`pg\` loop uses named prepared statements; the PGlite loop uses PGlite's own parameterised query API, which parses every statement anew.`,
      `Latency is measured by the client from request to response. Then an open-loop run at half the best rate for ${plan.pacedSeconds} s (latency from each request's scheduled send time); its baseline is the bare loop writing the same events' rows at the same rate, open loop (latency from each transaction's scheduled start): what the database alone gives at that load on this machine. Last, the disk alone at the same rate: an 8 KiB write and fdatasync() per event, as a commit's WAL flush, on the temporary directory's file system. Over the paced window the server's own access log gives its handler time per request, and its /metrics its event-loop delay and GC pauses (bench/support/inside.ts): the part of the client's latency the server spent on the request, and how late its one thread was.`,
    ].join(' '),
    figures,
    notes: [
      ...notes,
      'The load generator and the server share the machine\'s cores; on a small machine the client\'s own CPU lowers the HTTP figures.',
      'Per event Handoff makes 2 round trips to the database on PostgreSQL (BEGIN + accept — the event\'s own lock and dedupe, advisory locks, identity resolution and owner row locks in one function call, migrations 0012, 0015 and 0017: every statement in it a key probe, planned once per connection —, then apply + COMMIT: every write, the inbox row once); the raw loop makes up to 8 but reads nothing, locks nothing and decides nothing. Dispatchers are woken after the commit, not by a NOTIFY inside it (PostgreSQL serialises the commits of notifying transactions).',
      'On PGlite each parameterised statement is PREPAREd once and run as one EXECUTE (src/db/pglite.ts): PGlite otherwise parses and plans every call again in six calls into the WASM engine. Measured in-process, interleaved, on these events: 1.5× less CPU per recorded event than PGlite\'s own parameterised query API.',
    ],
  };
}

// `tsx bench/ingest.ts [--quick] [pglite|postgres]`: this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatFigure } = await import('./report.js');
  const quick = process.argv.includes('--quick');
  const kinds = (['pglite', 'postgres'] as const).filter((k) => process.argv.includes(k));
  const s = await runIngest({ quick, print: (f) => console.log(formatFigure(f)), progress: () => undefined }, kinds.length ? kinds : undefined);
  for (const n of s.notes ?? []) console.log(`note: ${n}`);
  for (const p of peaks()) console.log(`peak RSS, ${p.label}: ${p.peakMb} MB`);
}
