import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/index.js';
import { ensureConnectorStates } from '../../src/dispatcher/connector-state.js';
import { createLogger } from '../../src/monitor/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';

/**
 * A paced connector's window after an outage. The dispatcher's moves for finished jobs travel with its
 * next claim; when that claim comes later than the window (the database was unreachable for longer than
 * W, or the process was stalled), every slot has expired and the window is empty. The claim must store
 * an empty window, not NULL: a failing claim keeps the same moves and fails again, so the dispatcher
 * never claimed anything again after a database restart (found by test/reliability/db-faults.test.ts).
 */
describe.each(DB_KINDS)('claimJobs with only expired moves on %s', (kind) => {
  const t = useTestDb(kind);
  beforeAll(async () => {
    await ensureConnectorStates(t.db, new Map([['slack', null]]), createLogger('silent'));
  });

  it('stores an empty window and claims on', async () => {
    const { rows: clock } = await t.db.query<{ ms: number }>('SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms');
    const slot = 20; // SLACK_RATE_LIMIT 1/1s: slots of 20 ms, held for 52 slots (1.04 s)
    const longAgo = Math.floor((clock[0]!.ms - 5000) / slot) * slot;
    const param = JSON.stringify([
      { connector: 'slack', gated: true, calls: 1, window_ms: 1000, fingerprint: null, charged: 0, settled: [{ t: longAgo, n: 1 }], done: [{ t: longAgo, n: 1 }] },
    ]);
    const { rows } = await t.db.query<{ id: number | null; connector: string; wait_ms: number | null }>(sql.claimJobs, ['dispatcher-test', 30_000, 8, param]);
    expect(rows.filter((r) => r.id === null).map((r) => r.connector)).toEqual(['slack']);
    const state = await t.db.query<{ window_at: number[]; window_n: number[] }>(`SELECT window_at, window_n FROM connector_state WHERE connector = 'slack'`);
    expect(state.rows).toEqual([{ window_at: [], window_n: [] }]);
  });
});
