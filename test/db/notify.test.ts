import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { fromApp } from '../../src/events/index.js';
import { openPostgres } from '../../src/db/index.js';
import { record, recordIn } from '../../src/pipeline/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

describe.each(DB_KINDS)('NOTIFY wake-up hint on %s', (kind) => {
  const t = useTestDb(kind);

  it('fires once per committed event that queued a pending job, and not for one that queued none', async () => {
    let hints = 0;
    const unlisten = await t.db.listen('handoff_jobs', () => hints++);
    const base = hints; // PostgreSQL's listener signals once when it (re)connects
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
    await record(t.db, fromApp({ id: 'n1', type: 'user.signed_up', customer: { email: 'n@example.com' } }), {}, deps);
    await waitUntil(async () => hints === base + 1, 5000, 'one notification');
    // With no connector enabled the CRM job is recorded as skipped: nothing to wake a dispatcher for.
    await record(t.db, fromApp({ id: 'n2', type: 'support.resolved', customer: { email: 'n@example.com' } }), {}, { ...deps, enabledConnectors: new Set() });
    await new Promise((r) => setTimeout(r, 200));
    expect(hints).toBe(base + 1);
    await unlisten();
  });

  it('the hint comes after the commit: a woken listener already sees the job; a burst of events coalesces', async () => {
    const seen: number[] = [];
    const count = async () => Number((await t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM jobs WHERE status = 'pending'`)).rows[0]!.n);
    const before = await count();
    const unlisten = await t.db.listen('handoff_jobs', () => void count().then((n) => seen.push(n)));
    await waitUntil(async () => kind === 'pglite' || seen.length >= 1, 5000, 'the listener (PostgreSQL signals once when it connects)');
    seen.length = 0;
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
    const r = await record(t.db, fromApp({ id: 'after-1', type: 'user.signed_up', customer: { email: 'after@example.com' } }), {}, deps);
    expect(r.jobsQueued).toBe(1);
    await waitUntil(async () => seen.length >= 1, 5000, 'the hint');
    expect(seen[0]).toBe(before + 1); // never a wake-up before the job is visible
    // 40 events at once: every one queues a job; the hints are fewer, and the last comes after the last commit.
    seen.length = 0;
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) => record(t.db, fromApp({ id: `burst-${i}`, type: 'user.signed_up', customer: { email: `burst${i}@example.com` } }), {}, deps)),
    );
    expect(burst.every((b) => b.jobsQueued === 1)).toBe(true);
    await waitUntil(async () => seen.includes(before + 41), 5000, 'a hint after the last commit');
    expect(seen.length).toBeLessThan(40);
    await unlisten();
  });

  it("recordIn inside a caller's transaction wakes listeners when THAT transaction commits, and never on rollback", async () => {
    let hints = 0;
    const unlisten = await t.db.listen('handoff_jobs', () => hints++);
    await waitUntil(async () => kind === 'pglite' || hints >= 1, 5000, 'the listener (PostgreSQL signals once when it connects)');
    hints = 0;
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
    const event = (id: string) => fromApp({ id, type: 'user.signed_up', customer: { email: `${id}@example.com` } });
    await expect(
      t.db.transaction(async (tx) => {
        expect((await recordIn(tx, event('rolled-back'), {}, deps)).jobsQueued).toBe(1);
        throw new Error('the caller fails after recording');
      }),
    ).rejects.toThrow('the caller fails');
    await new Promise((r) => setTimeout(r, 200));
    expect(hints).toBe(0);
    const seenAtWake: number[] = [];
    const stop = await t.db.listen('handoff_jobs', () =>
      void t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM inbox_events WHERE event_id = 'committed-later'`).then((r) => seenAtWake.push(Number(r.rows[0]!.n))),
    );
    await waitUntil(async () => kind === 'pglite' || seenAtWake.length >= 1, 5000, 'the second listener');
    seenAtWake.length = 0;
    await t.db.transaction(async (tx) => {
      await recordIn(tx, event('committed-later'), {}, deps);
      await tx.query('SELECT pg_sleep(0.1)'); // the caller's own work after recording: no wake-up yet
    });
    await waitUntil(async () => seenAtWake.length >= 1, 5000, 'the wake-up after the commit');
    expect(seenAtWake[0]).toBe(1);
    await stop();
    await unlisten();
  });

  it.runIf(kind === 'postgres')('another process is woken too (NOTIFY after the commit), and its listener ignores its own echo', async () => {
    const other = await openPostgres(t.url!); // what a second Handoff process opens
    try {
      let here = 0;
      let there = 0;
      const unlistenHere = await t.db.listen('handoff_jobs', () => here++);
      const unlistenThere = await other.listen('handoff_jobs', () => there++);
      await waitUntil(async () => here >= 1 && there >= 1, 5000, 'both listeners connected');
      [here, there] = [0, 0];
      const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
      await record(t.db, fromApp({ id: 'x-proc', type: 'user.signed_up', customer: { email: 'xproc@example.com' } }), {}, deps);
      await waitUntil(async () => there === 1, 5000, 'the other process woken');
      await new Promise((r) => setTimeout(r, 200));
      expect([here, there]).toEqual([1, 1]); // this process once (directly), not again by its own NOTIFY
      await unlistenHere();
      await unlistenThere();
    } finally {
      await other.close();
    }
  });

  it.runIf(kind === 'postgres')('survives killed connections: LISTEN reconnects by itself and the pool recovers', async () => {
    // The events are recorded through another Database (another process): only a NOTIFY can wake this listener.
    const other = await openPostgres(t.url!);
    let hints = 0;
    const unlisten = await t.db.listen('handoff_jobs', () => hints++);
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
    // Kill every other backend of this database: the LISTEN connection and the pools' idle ones.
    const killed = await t.db.query<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(killed.rows[0]!.n).toBeGreaterThanOrEqual(1);
    // The listener comes back (it signals once on reconnect so nothing queued meanwhile waits for a poll) …
    await waitUntil(async () => hints >= 1, 10_000, 'the listener to reconnect');
    const before = hints;
    // … and the pools serve new transactions, whose NOTIFY reaches the new listener.
    await waitUntil(
      async () => {
        await record(other, fromApp({ id: `k${Date.now()}`, type: 'user.signed_up', customer: { email: `k${Date.now()}@example.com` } }), {}, deps).catch(() => undefined);
        return hints > before;
      },
      10_000,
      'a notification after the reconnect',
    );
    await unlisten();
    await other.close();
  });
});
