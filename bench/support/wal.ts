// WAL written while a piece of work ran on PostgreSQL: what its rows cost the database, independent of the
// machine's speed. Bytes come from the flushed WAL position (exact); records by kind from pg_walinspect
// (PostgreSQL 15+ contrib), read back over the same range. Both are cluster-wide: valid while nothing else writes,
// as in the benchmark, which runs one thing at a time. pg_stat_wal is not used: backends publish its counters
// at most once a second, so a reading right after the work misses the last second's records.

/** Any client of the database being measured (Handoff's Database or a pg.Client). */
export type WalQuery = (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;

/** A position in the WAL, flushed. */
export interface WalMark {
  lsn: string;
}

export interface WalUse {
  bytesPerJob: number;
  /** Records per job, and by kind (resource manager/record type), most first; undefined without pg_walinspect. */
  recordsPerJob?: number;
  byKind?: Array<{ kind: string; perJob: number }>;
  /** Why the records could not be read, when they could not. */
  unread?: string;
}

/**
 * The flushed WAL position now. A statement that takes an xid commits synchronously (the server's default) and so
 * flushes every record before it, including asynchronously committed completions.
 */
export async function walMark(q: WalQuery): Promise<WalMark> {
  await q(`SELECT txid_current()`);
  const { rows } = await q(`SELECT pg_current_wal_flush_lsn()::text AS lsn`);
  return { lsn: (rows[0] as { lsn: string }).lsn };
}

/** WAL per job between `from` and now. Installs pg_walinspect in the measured database when it can. */
export async function walSince(q: WalQuery, from: WalMark, jobs: number): Promise<WalUse> {
  const to = await walMark(q);
  const { rows } = await q(`SELECT ($2::pg_lsn - $1::pg_lsn)::float8 AS bytes`, [from.lsn, to.lsn]);
  const use: WalUse = { bytesPerJob: (rows[0] as { bytes: number }).bytes / jobs };
  try {
    await q(`CREATE EXTENSION IF NOT EXISTS pg_walinspect`);
    const stats = await q(
      `SELECT "resource_manager/record_type" AS kind, count::float8 AS n FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE count > 0 ORDER BY count DESC`,
      [from.lsn, to.lsn],
    );
    const kinds = stats.rows as Array<{ kind: string; n: number }>;
    use.recordsPerJob = kinds.reduce((s, k) => s + k.n, 0) / jobs;
    use.byKind = kinds.map((k) => ({ kind: k.kind, perJob: k.n / jobs }));
  } catch (err) {
    // No contrib package, or a checkpoint recycled the range's start: the bytes still stand.
    use.unread = (err as Error).message;
  }
  return use;
}

/** "9.4 Btree/INSERT_LEAF, 2.4 Heap/LOCK, …" for the kinds of at least 0.05 per job. */
export function describeWal(use: WalUse): string {
  if (!use.byKind) return `records not read (${use.unread ?? 'unknown'})`;
  return use.byKind
    .filter((k) => k.perJob >= 0.05)
    .map((k) => `${k.perJob.toFixed(k.perJob < 1 ? 2 : 1)} ${k.kind}`)
    .join(', ');
}
