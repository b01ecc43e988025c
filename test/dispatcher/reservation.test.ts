// A paced connector's job holds its most requests (Connector.callsPerJob) of the rolling window from its claim until
// it has finished, then what it really sent: the claim statement itself, driven claim by claim (no dispatcher loop,
// no timing), so each grant can be checked against the arithmetic.
import { describe, expect, it } from 'vitest';
import { sql } from '../../src/db/index.js';
import { ConnectorGate, type GateColumns } from '../../src/dispatcher/gate.js';
import { captureLogger } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { queueJobs } from './gate-support.js';

/** HUBSPOT_RATE_LIMIT=10/60s: a window long enough that no slot expires during the test. */
const LIMIT = { tokens: 10, intervalMs: 60_000 };

describe.each(DB_KINDS)('a job holds its reservation of the window while it runs on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  const gateFor = (callsPerJob: number, limit = LIMIT) =>
    new ConnectorGate({ db: t.db, configured: ['hubspot'], rateLimits: { hubspot: limit }, callsPerJob: new Map([['hubspot', callsPerJob]]), logger: captureLogger().logger });

  /** One claim of up to 8 jobs with 8 free slots; returns the claimed job ids and the connector's wait (ms, null = none). */
  async function claim(gate: ConnectorGate): Promise<{ ids: number[]; waitMs: number | null }> {
    await gate.prepare();
    const { rows } = await t.db.query<GateColumns & { snap_asked: string | null }>(sql.claimJobs, ['worker-1', 60_000, 8, gate.claimParam(8)]);
    const own = rows.filter((r) => r.snap_asked === null); // without the customers' rows, as the dispatcher passes them
    return { ids: gate.afterClaim(own).map((j) => Number(j.id)), waitMs: own.find((r) => r.id === null)?.wait_ms ?? null };
  }
  const finish = (gate: ConnectorGate, id: number, calls: number) => gate.settle('hubspot', id, { status: 'done' }, undefined, calls, false);

  it('grants a job only when its whole reservation fits, then counts what finished jobs really sent', async () => {
    await queueJobs(t.db, 'hubspot', 6);
    const gate = gateFor(4);
    const first = await claim(gate);
    expect(first.ids).toHaveLength(2); // 4 + 4 of 10: a third would make 12
    expect(first.waitMs).not.toBeNull(); // no room for another reservation: the connector says when to look again

    // Both finish after one request each: the window now holds 2 calls, room for two more reservations.
    for (const id of first.ids) await finish(gate, id, 1);
    const second = await claim(gate);
    expect(second.ids).toHaveLength(2);

    // 2 sent + 2 × 4 held = 10: nothing more until one of them ends.
    expect((await claim(gate)).ids).toHaveLength(0);
    await finish(gate, second.ids[0]!, 3); // 2 + 3 sent + 4 held = 9: still no room for 4
    expect((await claim(gate)).ids).toHaveLength(0);
    await finish(gate, second.ids[1]!, 1); // 2 + 3 + 1 = 6 sent: room for one
    expect((await claim(gate)).ids).toHaveLength(1);
  });

  it('a reservation larger than the limit is the limit: one job at a time, never none', async () => {
    await queueJobs(t.db, 'hubspot', 3);
    const gate = gateFor(5, { tokens: 3, intervalMs: 60_000 });
    const first = await claim(gate);
    expect(first.ids).toHaveLength(1);
    expect((await claim(gate)).ids).toHaveLength(0);
  });

  it('a connector of one request per job is charged one call per job', async () => {
    await queueJobs(t.db, 'hubspot', 12);
    const gate = gateFor(1);
    expect((await claim(gate)).ids).toHaveLength(8); // the 8 free slots bind first
    expect((await claim(gate)).ids).toHaveLength(2); // 8 held + 2 = 10
  });
});
