import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { ANALYZE_STATISTICS_TARGET, maintenancePass, startMaintenance } from '../../src/db/maintenance.js';
import { fromApp } from '../../src/events/index.js';
import { record } from '../../src/pipeline/index.js';
import { captureLogger } from '../support/app.js';
import { useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

/** PGlite has no autovacuum: db/maintenance.ts VACUUMs and ANALYZEs what autovacuum's thresholds would. */
describe('PGlite maintenance (the stand-in for autovacuum)', () => {
  const t = useTestDb('pglite');

  const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 5 };
  const signups = async (n: number, tag: string) => {
    for (let i = 0; i < n; i++) {
      await record(t.db, fromApp({ id: `${tag}-${i}`, type: 'user.signed_up', customer: { email: `${tag}.${i}@example.com` } }), {}, deps);
    }
  };
  const stats = async (table: string) =>
    (
      await t.db.query<{ reltuples: number; dead: number; last_analyze: Date | null; last_vacuum: Date | null }>(
        `SELECT c.reltuples, s.n_dead_tup AS dead, s.last_analyze, s.last_vacuum
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = $1`,
        [table],
      )
    ).rows[0]!;

  it('analyses tables that changed past the threshold, and leaves the others alone', async () => {
    await signups(300, 'first');
    expect((await stats('inbox_events')).reltuples).toBe(-1); // never analysed: plans rest on guesses

    const pass = await maintenancePass(t.db);
    expect(pass.analyzed).toEqual(expect.arrayContaining(['customers', 'identities', 'inbox_events', 'jobs', 'timeline']));
    expect(pass.analyzed).not.toContain('api_keys'); // untouched
    const inbox = await stats('inbox_events');
    expect(inbox.reltuples).toBe(300);
    expect(inbox.last_analyze).not.toBeNull();

    // Nothing changed since: nothing to do.
    expect(await maintenancePass(t.db)).toMatchObject({ vacuumed: [], analyzed: [] });
  });

  it('analyses at ANALYZE_STATISTICS_TARGET (a tenth of the default: ANALYZE holds the one connection), and only for its own statement', async () => {
    await signups(300, 'target');
    const pass = await maintenancePass(t.db);
    expect(pass.analyzed).toContain('customers');
    // 600 distinct emails by now: the histogram has target + 1 bounds (101 at the default target).
    const { rows } = await t.db.query<{ bounds: number }>(
      `SELECT array_length(histogram_bounds::text::text[], 1) AS bounds FROM pg_stats WHERE schemaname = 'public' AND tablename = 'customers' AND attname = 'email'`,
    );
    expect(rows[0]!.bounds).toBe(ANALYZE_STATISTICS_TARGET + 1);
    expect((await t.db.query<{ v: string }>("SELECT current_setting('default_statistics_target') AS v")).rows[0]!.v).toBe('100');
  });

  it('keeps no statistics on body columns (migration 0018): ANALYZE samples the keys, not the payloads', async () => {
    await t.db.exec('ANALYZE jobs; ANALYZE timeline; ANALYZE inbox_events');
    const { rows } = await t.db.query<{ col: string }>(
      `SELECT tablename || '.' || attname AS col FROM pg_stats WHERE schemaname = 'public' AND tablename IN ('jobs', 'timeline', 'inbox_events')`,
    );
    const cols = rows.map((r) => r.col);
    expect(cols).toEqual(expect.arrayContaining(['jobs.status', 'jobs.connector', 'timeline.customer_id', 'inbox_events.type']));
    for (const body of ['jobs.payload', 'jobs.result', 'jobs.last_error', 'timeline.detail', 'inbox_events.payload']) expect(cols).not.toContain(body);
  });

  it('vacuums a table whose dead rows pass the threshold, reclaiming them', async () => {
    // Every job of the 300 signups moves pending -> done: 300 dead row versions.
    await t.db.query(`UPDATE jobs SET status = 'done', finished_at = now() WHERE status = 'pending'`);
    const pass = await maintenancePass(t.db);
    expect(pass.vacuumed).toContain('jobs');
    const jobs = await stats('jobs');
    expect(jobs.dead).toBe(0);
    expect(jobs.last_vacuum).not.toBeNull();
    expect(pass.vacuumed).not.toContain('api_keys');
  });

  it('runs on its interval, logs what it did, and stops', async () => {
    await signups(200, 'second');
    const { logger, lines } = captureLogger('debug');
    const m = startMaintenance(t.db, { intervalMs: 50, logger });
    try {
      await waitUntil(async () => lines.some((l) => l.includes('"msg":"database maintenance"') && l.includes('inbox_events')), 10_000, 'a maintenance pass');
    } finally {
      await m.stop();
    }
    expect((await stats('inbox_events')).reltuples).toBe(800); // 300 + 300 + 200 signups
  });
});
