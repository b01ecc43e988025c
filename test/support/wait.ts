import type { Queryable } from '../../src/db/index.js';

/** Polls `check` until it returns a truthy value or `ms` pass (then throws with the last value). */
export async function waitUntil<T>(check: () => Promise<T | undefined | null | false>, ms = 20_000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined | null | false;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface JobRow {
  id: number;
  connector: string;
  kind: string;
  idempotency_key: string;
  status: string;
  attempts: number;
  last_error: string | null;
  result: Record<string, unknown> | null;
}

export const jobs = async (db: Queryable) =>
  (await db.query<JobRow>('SELECT id, connector, kind, idempotency_key, status, attempts, last_error, result FROM jobs ORDER BY id')).rows;

/** Waits until no job is pending or running. */
export const settled = (db: Queryable, ms = 20_000) =>
  waitUntil(async () => {
    const all = await jobs(db);
    return all.every((j) => j.status !== 'pending' && j.status !== 'running') ? all : undefined;
  }, ms, 'all jobs to settle');
