import type { Queryable } from '../../../src/db/index.js';

/**
 * The ledger every reliability scenario ends with: each acknowledged event is in the inbox, and each job it
 * caused ended in exactly one accountable way — delivered (`done`), dead-lettered WITH the last error, or
 * skipped WITH a reason. Anything still pending/running, or finished without a reason, is unaccounted.
 * Provider-side duplicates are checked by each scenario against its emulators (`duplicates` below).
 */
export interface Ledger {
  /** Events the senders saw acknowledged (2xx), by `source:event_id`. */
  acknowledged: number;
  /** Acknowledged events with no inbox row: data loss. */
  missingFromInbox: string[];
  jobs: { done: number; dead: number; skipped: number; pending: number; running: number };
  deadWithoutReason: number;
  skippedWithoutReason: number;
  /** Jobs neither delivered, dead-lettered with a reason nor skipped with a reason. */
  unaccounted: number;
}

export async function readLedger(db: Queryable, acknowledged: Iterable<{ source: string; eventId: string }>): Promise<Ledger> {
  const acks = [...acknowledged];
  const { rows: present } = await db.query<{ k: string }>(
    `SELECT source || ':' || event_id AS k FROM inbox_events WHERE (source, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [acks.map((a) => a.source), acks.map((a) => a.eventId)],
  );
  const have = new Set(present.map((r) => r.k));
  const missingFromInbox = [...new Set(acks.map((a) => `${a.source}:${a.eventId}`))].filter((k) => !have.has(k));

  const { rows } = await db.query<{ status: string; n: string; no_reason: string }>(
    `SELECT status, count(*) AS n,
            count(*) FILTER (WHERE (status = 'dead' AND coalesce(last_error, '') = '')
                                OR (status = 'skipped' AND coalesce(result->>'skipped', last_error, '') = '')) AS no_reason
       FROM jobs GROUP BY status`,
  );
  const jobs = { done: 0, dead: 0, skipped: 0, pending: 0, running: 0 };
  let deadWithoutReason = 0;
  let skippedWithoutReason = 0;
  for (const r of rows) {
    jobs[r.status as keyof typeof jobs] = Number(r.n);
    if (r.status === 'dead') deadWithoutReason = Number(r.no_reason);
    if (r.status === 'skipped') skippedWithoutReason = Number(r.no_reason);
  }
  return {
    acknowledged: new Set(acks.map((a) => `${a.source}:${a.eventId}`)).size,
    missingFromInbox,
    jobs,
    deadWithoutReason,
    skippedWithoutReason,
    unaccounted: jobs.pending + jobs.running + deadWithoutReason + skippedWithoutReason,
  };
}

/** Values that occur more than once (provider records created twice), with their counts. */
export function duplicates(values: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}
