import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { sql } from '../../src/db/index.js';
import { fromApp } from '../../src/events/index.js';
import { record } from '../../src/pipeline/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';

/**
 * A completion belongs to ONE claim. When the database was unreachable for longer than a lease, the same
 * worker can claim a job again (lease expired) while the result of its first claim is still buffered.
 * That stale result must not be applied to the new claim: it used to turn the new run's job back to
 * `pending` (and, for "could not load customer state", take back an attempt), so the job ran once more
 * and Slack, which has no idempotency key, got the message again (found by test/reliability/db-faults.test.ts).
 */
describe.each(DB_KINDS)('finishJobs after a re-claim by the same worker on %s', (kind) => {
  const t = useTestDb(kind);

  const claim = async () =>
    (
      await t.db.query<{ id: number | null; attempts: number }>(sql.claimJobs, [
        'worker-a',
        30_000,
        8,
        JSON.stringify([{ connector: 'hubspot', gated: true, calls: null, window_ms: null, fingerprint: null, charged: 0, settled: [], done: [] }]),
      ])
    ).rows.filter((r) => r.id !== null);
  const finish = (rows: object[]) => t.db.query<{ id: number }>(sql.finishJobs, ['worker-a', JSON.stringify(rows)]);

  it("applies only the current claim's result", async () => {
    await t.db.query(`INSERT INTO connector_state (connector) VALUES ('hubspot') ON CONFLICT DO NOTHING`);
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 5 };
    await record(t.db, fromApp({ id: 'stale-1', type: 'user.signed_up', customer: { email: 'stale@example.com' } }), {}, deps);

    const [first] = await claim();
    expect(first!.attempts).toBe(1);
    // The lease runs out while the worker cannot reach the database; it then claims the job again.
    await t.db.query(`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1`, [first!.id]);
    const [second] = await claim();
    expect(second).toMatchObject({ id: first!.id, attempts: 2 });

    // The first claim's buffered result (customer state could not be read: back to the queue, uncounted).
    const stale = await finish([{ id: first!.id, status: 'pending', result: null, error: 'could not load customer state', delay_ms: 0, uncount: true, attempts: first!.attempts }]);
    expect(stale.rows).toEqual([]);
    // The second claim's result is the one recorded.
    const current = await finish([{ id: second!.id, status: 'done', result: { contactId: '1' }, error: null, delay_ms: 0, uncount: false, attempts: second!.attempts }]);
    expect(current.rows.map((r) => Number(r.id))).toEqual([second!.id]);
    const { rows } = await t.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM jobs WHERE id = $1', [first!.id]);
    expect(rows).toEqual([{ status: 'done', attempts: 2 }]);
  });

  it('commits completions asynchronously (that transaction only): a completion and its follow-up writes see off, the next transaction on', async () => {
    // (A statement that changes no row runs no set_config; it writes nothing, so it has nothing to flush either.)
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 5 };
    await record(t.db, fromApp({ id: 'async-1', type: 'user.signed_up', customer: { email: 'async@example.com' } }), {}, deps);
    const [job] = await claim();
    const seen = await t.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number }>(sql.finishJobs, ['worker-a', JSON.stringify([{ id: job!.id, status: 'done', result: {}, error: null, delay_ms: 0, uncount: false, attempts: job!.attempts }])]);
      expect(rows.map((r) => Number(r.id))).toEqual([job!.id]);
      return (await tx.query<{ v: string }>(`SELECT current_setting('synchronous_commit') AS v`)).rows[0]!.v;
    });
    expect(seen).toBe('off');
    // Every connection of the pool, not just the one that ran it: none keeps the setting.
    const after = await Promise.all(Array.from({ length: 4 }, () => t.db.transaction(async (tx) => (await tx.query<{ v: string }>(`SELECT current_setting('synchronous_commit') AS v`)).rows[0]!.v)));
    expect(after).toEqual(['on', 'on', 'on', 'on']);
  });
});
