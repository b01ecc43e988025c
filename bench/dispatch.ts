// Dispatch benchmark (`npm run bench`, section "Dispatch"): N queued jobs drained by one in-process Dispatcher
// (the production class, its claim/complete statements, pacing and circuit gating all active) through
// 1. a no-op connector (success at once, no I/O), on PostgreSQL and on PGlite, compared on PostgreSQL with
//    graphile-worker draining the same number of no-op jobs in its fastest documented configuration
//    (bench/graphile.ts, its own fresh database on the same server, measured in the same run);
// 2. the real Slack connector against the Slack emulator on loopback answering every call 10 ms late,
//    compared with that emulator's ceiling for the dispatcher's concurrency (concurrency / 10 ms).
// Prints figures; asserts nothing beyond "every job was delivered exactly once" (a drain that loses jobs is no figure).
import { performance } from 'node:perf_hooks';
import { systemIds } from '../src/clock.js';
import { loadConfig, type AppConfig } from '../src/config/index.js';
import { createSlackConnector } from '../src/connectors/index.js';
import type { Connector, ConnectorName } from '../src/connectors/types.js';
import type { Database } from '../src/db/index.js';
import { connectorFingerprints, Dispatcher } from '../src/dispatcher/index.js';
import { createLogger, createMetrics } from '../src/monitor/index.js';
import { createTestDb, type DbKind } from '../test/support/db.js';
import { BACKENDS_OF_THIS_DB, trackBackendCpu } from './cpu.js';
import { runGraphile } from './graphile.js';
import { NoopConnector } from './noop-connector.js';
import { startSlackEmulatorProcess } from './support/slack-emulator-process.js';
import { describeWal, walMark, walSince, type WalUse } from './support/wal.js';
import type { BenchContext, Figure, Section } from './report.js';

/** The dispatcher settings of every run here (DISPATCH_CONCURRENCY / DISPATCH_BATCH_SIZE). */
export const BENCH_CONCURRENCY = Number(process.env.BENCH_DISPATCH_CONCURRENCY ?? 64);
export const BENCH_BATCH = Number(process.env.BENCH_DISPATCH_BATCH ?? 64);
/** DISPATCH_PREFETCH for every run here; unset = each engine's default. */
const PREFETCH_TEXT = process.env.BENCH_DISPATCH_PREFETCH
  ? `prefetch ${process.env.BENCH_DISPATCH_PREFETCH}`
  : `prefetch at its default: one batch on PostgreSQL, none on PGlite`;
/** Emulator latency of the HTTP path. */
export const LATENCY_MS = 10;
/** Jobs are spread over this many customers (the dispatcher runs one job per customer and connector at a time). */
const CUSTOMERS = 10_000;

export interface DrainResult {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** CPU per job (µs): this process (dispatcher; with PGlite also the database) and the PostgreSQL backends. */
  cpuUsPerJob: { process: number; database: number };
  /** Jobs that needed more than one attempt, and provider calls beyond one per job (retries after a timeout). */
  retried: number;
  extraRuns: number;
  /** PostgreSQL only: the WAL the drain wrote, per job. */
  wal?: WalUse;
}

/** Customers and N pending jobs of one connector, straight in SQL; job i belongs to customer i mod CUSTOMERS. */
export async function seedJobs(db: Database, n: number, connector: ConnectorName, kind: string, payload: Record<string, unknown>): Promise<void> {
  const customers = Math.min(CUSTOMERS, n);
  await db.exec(`
    INSERT INTO customers (id, email, name, lifecycle)
    SELECT 'cust-' || g, 'user' || g || '@example.com', 'User ' || g, 'paid' FROM generate_series(0, ${customers - 1}) AS g
    ON CONFLICT (id) DO NOTHING;
  `);
  await db.query(
    `INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, max_attempts)
     SELECT $1, $2, $1 || ':bench:' || g, 'cust-' || (g % $4::integer), $3::jsonb, 12 FROM generate_series(1, $5::integer) AS g`,
    [connector, kind, JSON.stringify(payload), customers, n],
  );
  if (db.kind === 'postgres') await db.exec('VACUUM ANALYZE jobs');
  await db.exec('ANALYZE');
}

export function benchConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    DISPATCH_CONCURRENCY: String(BENCH_CONCURRENCY),
    DISPATCH_BATCH_SIZE: String(BENCH_BATCH),
    // Unset: the engine's default (dispatcher.ts); set to compare.
    DISPATCH_PREFETCH: process.env.BENCH_DISPATCH_PREFETCH,
    ...env,
  });
}

/**
 * Starts a Dispatcher over `connectors`, stops the clock when `done()` says every job ran and their
 * completions are written, then checks the database agrees: N jobs done, none left.
 */
export async function drain(db: Database, n: number, connectors: Map<ConnectorName, Connector>, config: AppConfig, ran: () => number, progress?: (done: number) => void): Promise<DrainResult> {
  const dispatcher = new Dispatcher({
    db,
    connectors,
    config: config.dispatcher,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    ids: systemIds,
    rateLimits: config.rateLimits,
    circuit: config.circuit,
    fingerprints: connectorFingerprints(config),
  });
  const walQuery = (text: string, params?: unknown[]) => db.query(text, params);
  const walFrom = db.kind === 'postgres' ? await walMark(walQuery) : undefined;
  const p0 = process.cpuUsage();
  const database = db.kind === 'postgres' ? trackBackendCpu(async () => (await db.query<{ pid: number }>(BACKENDS_OF_THIS_DB)).rows.map((r) => r.pid)) : undefined;
  const t0 = performance.now();
  await dispatcher.start();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      progress?.(ran());
      if (ran() >= n) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await dispatcher.idle();
  const seconds = (performance.now() - t0) / 1000;
  const p1 = process.cpuUsage(p0);
  const cpu = { processMs: (p1.user + p1.system) / 1000, databaseMs: (await database?.stop()) ?? 0 };
  await dispatcher.stop();
  const wal = walFrom && (await walSince(walQuery, walFrom, n));
  const { rows } = await db.query<{ done: number; other: number; retried: number }>(
    `SELECT count(*) FILTER (WHERE status = 'done')::integer AS done, count(*) FILTER (WHERE status <> 'done')::integer AS other,
            count(*) FILTER (WHERE attempts > 1)::integer AS retried FROM jobs`,
  );
  const { done, other, retried } = rows[0]!;
  // A run beyond N is a retry that reached the provider twice (a timed-out call the provider did process): counted, not fatal.
  if (done !== n || other !== 0 || ran() < n) throw new Error(`drain incomplete: ${done} done, ${other} not, ${ran()} runs of ${n}`);
  return { jobs: n, seconds, jobsPerSec: n / seconds, cpuUsPerJob: { process: (cpu.processMs * 1000) / n, database: (cpu.databaseMs * 1000) / n }, retried, extraRuns: ran() - n, wal };
}

/** No-op drain on a fresh database of `kind`. */
export async function noopDrain(kind: DbKind, n: number, progress?: (done: number) => void): Promise<DrainResult> {
  const t = await createTestDb(kind);
  try {
    await seedJobs(t.db, n, 'webhook', 'noop', {});
    const noop = new NoopConnector('webhook');
    // The webhook connector's rate limit stays configured but cannot bind (pacing arithmetic still runs).
    const config = benchConfig({ OUTBOUND_WEBHOOK_RATE_LIMIT: '1000000/1s' });
    return await drain(t.db, n, new Map([['webhook', noop]]), config, () => noop.calls, progress);
  } finally {
    await t.drop();
  }
}

/**
 * Slack connector → the Slack emulator in its own process (a provider is another machine), answering every call
 * LATENCY_MS late. `providerCpuUsPerJob`: the emulator process's CPU per job, reported apart from Handoff's.
 */
export async function httpDrain(kind: DbKind, n: number, progress?: (done: number) => void): Promise<DrainResult & { providerCpuUsPerJob: number }> {
  const t = await createTestDb(kind);
  const slack = await startSlackEmulatorProcess(LATENCY_MS);
  try {
    await seedJobs(t.db, n, 'slack', 'notify', { template: 'payment_failed', facts: { amount: 4900, currency: 'usd' } });
    const config = benchConfig({ SLACK_WEBHOOK_URL: slack.url, SLACK_RATE_LIMIT: '1000000/1s' });
    const connector = createSlackConnector(config.slack!, config.http);
    const cpu0 = slack.cpuMs();
    const r = await drain(t.db, n, new Map([['slack', connector]]), config, slack.count, progress);
    return { ...r, providerCpuUsPerJob: ((slack.cpuMs() - cpu0) * 1000) / n };
  } finally {
    await slack.close();
    await t.drop();
  }
}

export async function runDispatch(ctx: BenchContext): Promise<Section> {
  const n = ctx.quick ? 5_000 : 50_000;
  const nHttp = ctx.quick ? 2_000 : 20_000;
  const figures: Figure[] = [];
  const emit = (f: Figure) => {
    figures.push(f);
    ctx.print(f);
  };
  const bar = (label: string, total: number) => (done: number) => ctx.progress(label, done, total);

  const peer = await runGraphile(n, bar('graphile-worker drain', n));
  const peerFigure = { name: `graphile-worker ${peer.version} no-op drain PostgreSQL`, value: peer.jobsPerSec, unit: 'jobs/s' };
  emit(peerFigure);
  const pg = await noopDrain('postgres', n, bar('no-op drain PostgreSQL', n));
  emit({ name: 'no-op drain PostgreSQL', value: pg.jobsPerSec, unit: 'jobs/s', baseline: peerFigure, target: { text: '≥ 1.0× graphile-worker', met: pg.jobsPerSec >= peer.jobsPerSec } });
  const lite = await noopDrain('pglite', n, bar('no-op drain PGlite', n));
  emit({ name: 'no-op drain PGlite', value: lite.jobsPerSec, unit: 'jobs/s' });
  // CPU per job does not swing with the machine's other load the way jobs/s does.
  const cpuPeer = { name: 'graphile-worker CPU per job (process + PostgreSQL backends)', value: peer.cpuUsPerJob.process + peer.cpuUsPerJob.database, unit: 'µs/job' };
  emit(cpuPeer);
  emit({ name: 'Handoff CPU per job (process + PostgreSQL backends)', value: pg.cpuUsPerJob.process + pg.cpuUsPerJob.database, unit: 'µs/job', baseline: cpuPeer });
  // What the database does per job, apart from how fast this machine does it: the WAL its rows write.
  const walPeer = { name: 'graphile-worker WAL per job', value: peer.wal.bytesPerJob, unit: 'bytes/job' };
  emit(walPeer);
  if (pg.wal) emit({ name: 'Handoff WAL per job (no-op drain PostgreSQL)', value: pg.wal.bytesPerJob, unit: 'bytes/job', baseline: walPeer });
  if (peer.wal.recordsPerJob !== undefined && pg.wal?.recordsPerJob !== undefined) {
    const recordsPeer = { name: 'graphile-worker WAL records per job', value: peer.wal.recordsPerJob, unit: 'records/job' };
    emit(recordsPeer);
    emit({ name: 'Handoff WAL records per job (no-op drain PostgreSQL)', value: pg.wal.recordsPerJob, unit: 'records/job', baseline: recordsPeer });
  }

  const ceiling = { name: `emulator ceiling (${BENCH_CONCURRENCY} in flight / ${LATENCY_MS} ms)`, value: BENCH_CONCURRENCY / (LATENCY_MS / 1000), unit: 'jobs/s' };
  const http: Record<DbKind, (DrainResult & { providerCpuUsPerJob: number }) | undefined> = { postgres: undefined, pglite: undefined };
  const retries: string[] = [];
  for (const kind of ['postgres', 'pglite'] as const) {
    const r = await httpDrain(kind, nHttp, bar(`HTTP drain ${kind}`, nHttp));
    http[kind] = r;
    if (r.retried) retries.push(`HTTP path on ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}: ${r.retried} jobs needed a retry (provider call timed out), ${r.extraRuns} alerts reached the emulator twice (Slack webhooks have no idempotency key).`);
    emit({
      name: `Slack connector → emulator (${LATENCY_MS} ms) ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}`,
      value: r.jobsPerSec,
      unit: 'jobs/s',
      baseline: ceiling,
      target: { text: 'limited by the emulator (≥ 0.8 of its ceiling)', met: r.jobsPerSec >= 0.8 * ceiling.value },
    });
  }

  return {
    title: 'Dispatch',
    method:
      `${n.toLocaleString('en-US')} queued jobs (one connector, ${CUSTOMERS.toLocaleString('en-US')} customers) drained by one in-process dispatcher ` +
      `(concurrency ${BENCH_CONCURRENCY}, claim batch ${BENCH_BATCH}, ${PREFETCH_TEXT}) through a no-op connector; the clock runs from start until every completion is written. ` +
      `Peer: graphile-worker ${peer.version} on its own fresh database on the same PostgreSQL, ${peer.config}, jobs added with addJobs; clock from start until its runner has stopped with every job completed. ` +
      `HTTP path: ${nHttp.toLocaleString('en-US')} jobs through the real Slack connector to the Slack emulator on loopback, in its own process (a provider is another machine), every answer ${LATENCY_MS} ms late, pacing configured but not binding.`,
    figures,
    notes: [
      `The emulator ceiling is concurrency / latency: ${BENCH_CONCURRENCY} calls in flight, each ${LATENCY_MS} ms, = ${ceiling.value.toFixed(0)} calls/s.`,
      `Every Handoff job still runs its full path: lease claim (pacing, circuit gating, one job per customer and connector), customer snapshot, requirement check, batched completion; graphile-worker's jobs carry none of these.`,
      `CPU per job, PostgreSQL: Handoff ${pg.cpuUsPerJob.process.toFixed(0)} µs in the process + ${pg.cpuUsPerJob.database.toFixed(0)} µs in the database; graphile-worker ${peer.cpuUsPerJob.process.toFixed(0)} + ${peer.cpuUsPerJob.database.toFixed(0)} µs (a ratio above 1 = Handoff spends more).`,
      `WAL per job by record kind (PostgreSQL's pg_walinspect over the drain's range, cluster-wide while nothing else ran): Handoff ${pg.wal ? describeWal(pg.wal) : 'not measured'}; ` +
        `graphile-worker ${describeWal(peer.wal)}. A b-tree insert is one new index entry: an UPDATE that changes an indexed column (a job's status is in the predicate of the partial indexes that find pending, running and finished jobs) writes a new entry in every index whose predicate the new row meets, at the claim and again at the completion; graphile-worker deletes a completed job. Heap/LOCK beyond one per job: an updated row that does not fit on its page is locked before it moves.`,
      `PGlite runs in the dispatcher's own process (one connection, statements in turn): CPU per job there ${lite.cpuUsPerJob.process.toFixed(0)} µs.`,
      ...retries,
      ...(['postgres', 'pglite'] as const).flatMap((k) => {
        const r = http[k];
        if (!r) return [];
        const db = k === 'postgres' ? ` + PostgreSQL backends ${r.cpuUsPerJob.database.toFixed(0)}` : ' (the database inside)';
        const wal = r.wal ? ` WAL per job ${r.wal.bytesPerJob.toFixed(0)} bytes${r.wal.recordsPerJob === undefined ? '' : `, ${r.wal.recordsPerJob.toFixed(1)} records`}.` : '';
        return [
          `HTTP path on ${k === 'postgres' ? 'PostgreSQL' : 'PGlite'} reached ${((r.jobsPerSec / ceiling.value) * 100).toFixed(0)} % of the emulator ceiling. CPU per job: dispatcher process ${r.cpuUsPerJob.process.toFixed(0)} µs${db}; ` +
            `emulator process ${r.providerCpuUsPerJob.toFixed(0)} µs. On ${k === 'postgres' ? 'these 2 cores all three' : 'these 2 cores both'} share the machine: the ceiling is only reachable when their CPU per job, summed, stays under 2 cores / ceiling = ${((2 / ceiling.value) * 1e6).toFixed(0)} µs.${wal}`,
        ];
      }),
    ],
  };
}
