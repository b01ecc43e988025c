import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openPostgres, type Database } from '../../src/db/index.js';
import { useTestDb } from '../support/db.js';
import type { HandoffProcess } from '../support/process.js';
import { waitUntil } from '../support/wait.js';
import { checkProviders, duplicates, readLedger, type Ledger, type ProviderCheck } from './support/ledger.js';
import { alive, drained, handoffEnv, mixedLoad, prng, Sender, startHandoff, startProviders, type ProviderSet } from './support/load.js';
import { startPrivateCluster, type PrivateCluster } from './support/pg-cluster.js';

const SEED = 20_261_128;
const EVENTS = Number(process.env.RELIABILITY_DB_EVENTS ?? 1000);
/** Handoff's connections carry this name, so the fault injector kills theirs and never the test's own. */
const APP_NAME = 'handoff-reliability';

/** What is still open, for a drain that does not finish. */
const openSummary = async (db: Database) =>
  (
    await db.query(
      `SELECT connector, status, attempts, locked_by IS NOT NULL AS leased, locked_until > now() AS lease_live, run_at > now() AS later, left(last_error, 120) AS error, count(*)::integer AS n
         FROM jobs WHERE status IN ('pending', 'running') GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY n DESC LIMIT 20`,
    )
  ).rows;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withAppName = (url: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${APP_NAME}`;

/** The common end of both scenarios: the ledger balances and no provider holds a record twice. */
async function expectBalanced(db: Database, sender: Sender, providers: ProviderSet): Promise<{ ledger: Ledger; providerCheck: ProviderCheck }> {
  const ledger = await readLedger(db, sender.ackedKeys());
  const providerCheck = await checkProviders(db, providers);
  const inbox = (await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events')).rows[0]!.n;
  console.log(JSON.stringify({ serverErrors: sender.serverErrors, timeouts: sender.timeouts, ledger, providerCheck }));
  if (providerCheck.slack.repeats > providerCheck.slack.rerun) {
    const repeated = Object.keys(duplicates(providers.slack.messages.map((m) => m.text ?? ''))).slice(0, 5);
    console.log(JSON.stringify({ repeated, slackJobs: (await db.query(`SELECT id, kind, status, attempts, idempotency_key, last_error FROM jobs WHERE connector = 'slack' AND attempts <> 1 LIMIT 20`)).rows }));
  }
  expect(sender.rejected).toEqual([]);
  expect(ledger.acknowledged).toBe(EVENTS);
  expect(ledger.missingFromInbox).toEqual([]);
  expect(inbox).toBe(EVENTS);
  expect(ledger.unaccounted).toBe(0);
  expect(providerCheck.undelivered).toEqual([]);
  expect(providerCheck.duplicates).toEqual({ hubspot: {}, zendesk: {}, email: {}, webhook: {} });
  // A connection lost after Slack's `ok` and before the completion is written re-runs the job after its lease.
  expect(providerCheck.slack.repeats).toBeLessThanOrEqual(providerCheck.slack.rerun);
  for (const c of ['hubspot', 'slack', 'zendesk', 'email', 'webhook']) expect(providerCheck.done[c] ?? 0, c).toBeGreaterThan(0);
  return { ledger, providerCheck };
}

/**
 * Database faults under load (PostgreSQL only: PGlite runs in the process and has no connections to lose).
 * The process must reconnect by itself — web pool, dispatcher and the LISTEN connection — keep running,
 * and end with a balanced ledger.
 */
describe('database faults under load (PostgreSQL)', () => {
  // Each scenario has its own emulators: the provider check counts what one load caused.
  let providers: ProviderSet;
  const procs: HandoffProcess[] = [];

  beforeEach(async () => {
    providers = await startProviders();
  });
  afterEach(async () => {
    for (const p of procs) if (alive(p)) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await providers?.close();
  });

  describe('connections killed with pg_terminate_backend', () => {
    const t = useTestDb('postgres');
    let admin: pg.Client;
    beforeAll(async () => {
      admin = new pg.Client({ connectionString: t.url });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.end();
    });

    const backends = async () =>
      (
        await admin.query<{ pid: number; listen: boolean }>(
          `SELECT pid, query ILIKE 'LISTEN %' AS listen FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
          [APP_NAME],
        )
      ).rows;

    it('reconnects the web pool, the dispatcher and LISTEN, and balances the ledger', async () => {
      const started = Date.now();
      const sender = new Sender(mixedLoad(EVENTS, SEED), 8);
      const h = await startHandoff(handoffEnv(providers, { url: withAppName(t.url!) }), procs);
      const rng = prng(SEED);
      const killed = { rounds: 0, listen: 0, other: 0 };
      let stop = false;
      // Every 150-450 ms (seeded), every connection Handoff holds is terminated: pool clients mid-query or
      // idle, a transaction's client between statements, and the LISTEN connection.
      const injector = (async () => {
        while (!stop && alive(h.p)) {
          await sleep(150 + Math.floor(rng() * 300));
          const all = await backends();
          for (const b of all) {
            await admin.query('SELECT pg_terminate_backend($1)', [b.pid]);
            if (b.listen) killed.listen++;
            else killed.other++;
          }
          killed.rounds++;
        }
      })();
      await sender.run(h.url, () => alive(h.p));
      // Faults go on for a while after the last event was acknowledged: the dispatcher is still draining.
      await sleep(3000);
      stop = true;
      await injector;
      expect(alive(h.p), h.p.stderr()).toBe(true);
      // Back by itself: a LISTEN connection exists again, and all work is done.
      await waitUntil(async () => (await backends()).some((b) => b.listen), 30_000, 'the LISTEN connection to come back');
      await drained(h.url, 180_000, () => openSummary(t.db));
      h.p.proc.kill('SIGTERM');
      expect((await h.p.exited).code, h.p.stderr()).toBe(0);

      const { ledger, providerCheck } = await expectBalanced(t.db, sender, providers);
      console.log(JSON.stringify({ scenario: 'pg_terminate_backend', seconds: Math.round((Date.now() - started) / 1000), killed, serverErrors: sender.serverErrors, timeouts: sender.timeouts, ledger, providerCheck }));
      expect(killed.listen).toBeGreaterThan(0);
      expect(killed.other).toBeGreaterThan(killed.rounds); // more than one connection per round: pool and dispatcher
    });
  });

  describe('server restarted mid-load (a private PostgreSQL 15 cluster)', () => {
    let cluster: PrivateCluster;
    let db: Database;
    beforeAll(async () => {
      cluster = await startPrivateCluster();
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      await admin.query('CREATE DATABASE handoff');
      await admin.end();
      db = await openPostgres(cluster.url('handoff'), { onError: () => undefined });
      await migrate(db);
    });
    afterAll(async () => {
      await db?.close().catch(() => undefined);
      await cluster?.stop();
    });

    it('keeps running through restarts (clean and crash), reconnects and balances the ledger', async () => {
      const started = Date.now();
      const sender = new Sender(mixedLoad(EVENTS, SEED + 1), 8);
      const h = await startHandoff(handoffEnv(providers, { url: cluster.url('handoff') }), procs);
      const rng = prng(SEED + 1);
      // Three outages at seeded moments: 1-3 s down each; `immediate` is a server crash (WAL recovery on start).
      const outages = (['fast', 'immediate', 'fast'] as const).map((mode) => ({ mode, after: 500 + Math.floor(rng() * 1500), downMs: 1000 + Math.floor(rng() * 2000) }));
      const restarts = (async () => {
        for (const o of outages) {
          await sleep(o.after);
          await cluster.down(o.mode);
          await sleep(o.downMs);
          await cluster.up();
        }
      })();
      await sender.run(h.url, () => alive(h.p));
      await restarts;
      expect(alive(h.p), h.p.stderr()).toBe(true);
      await drained(h.url, 180_000, () => openSummary(db));
      // The LISTEN connection came back after the last restart.
      await waitUntil(
        async () => (await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = 'handoff' AND query ILIKE 'LISTEN %'`)).rows[0]!.n > 0,
        30_000,
        'the LISTEN connection to come back',
      );
      h.p.proc.kill('SIGTERM');
      expect((await h.p.exited).code, h.p.stderr()).toBe(0);

      const { ledger, providerCheck } = await expectBalanced(db, sender, providers);
      console.log(JSON.stringify({ scenario: 'server restart', seconds: Math.round((Date.now() - started) / 1000), outages, serverErrors: sender.serverErrors, timeouts: sender.timeouts, ledger, providerCheck }));
    });
  });
});
