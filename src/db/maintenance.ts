import type { Logger } from '../monitor/logger.js';
import { sql } from './sql/index.js';
import type { Database } from './types.js';

/**
 * PGlite has no autovacuum; this is its stand-in, run by the process that owns the data dir. Without it, no
 * table of an embedded database was ever analysed (every plan rested on default guesses), dead rows of updated
 * jobs were never reclaimed from the indexes, the visibility map was never set, and nothing froze old rows:
 * PostgreSQL stops accepting writes ~2 billion transactions after the last freeze.
 * Every `intervalMs` one pass reads the cumulative statistics and VACUUMs / ANALYZEs the tables past
 * autovacuum's default thresholds (sql/tablesDueForMaintenance.sql). A pass holds PGlite's one connection:
 * requests wait behind it (milliseconds for a few thousand changed rows; an ANALYZE samples at most 3,000 rows
 * per table, ANALYZE_STATISTICS_TARGET). Measured after ~24,000 events recorded, the first pass since start, with requests arriving at 330/s:
 * 916 ms in all, its longest statement (ANALYZE jobs) 356 ms, requests waiting up to 1.7 s while the queue drained;
 * with migration 0018 (no statistics on body columns) 724 ms, longest 236 ms, requests up to 1.4 s; ANALYZE now
 * samples at ANALYZE_STATISTICS_TARGET, a tenth of the default (ANALYZE jobs ~10x faster). At a small
 * SaaS's rate a pass has a few rows to look at. PostgreSQL has its own autovacuum; nothing here runs there.
 */
export interface MaintenancePass {
  vacuumed: string[];
  analyzed: string[];
  ms: number;
  /** The longest single statement (ms): how long requests waited behind the pass at most. */
  longestMs: number;
}

/**
 * The statistics target of the pass's ANALYZE (PostgreSQL's default_statistics_target is 100): it samples 300 × this
 * many rows and keeps this many common values and histogram buckets per column. Handoff's plans turn on columns of a
 * few distinct values (status, connector, kind, type) and on unique keys, which 10 describes as well as 100 does.
 * Measured after 26,000 recorded events (71,500 jobs): ANALYZE jobs 202-333 -> 20-27 ms, timeline 46-78 -> 10 ms;
 * every request waits behind it on PGlite's one connection.
 */
export const ANALYZE_STATISTICS_TARGET = 10;

/** One pass: flush this session's statistics, then VACUUM and/or ANALYZE each table that is due. */
export async function maintenancePass(db: Database): Promise<MaintenancePass> {
  const t0 = performance.now();
  // Counters reach the shared statistics when a session reports them; force this one's out first.
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<{ name: string; vacuum: boolean; analyze: boolean }>(sql.tablesDueForMaintenance);
  const out: MaintenancePass = { vacuumed: [], analyzed: [], ms: 0, longestMs: 0 };
  const timed = async (work: () => Promise<unknown>) => {
    const s = performance.now();
    await work();
    out.longestMs = Math.max(out.longestMs, performance.now() - s);
  };
  for (const t of rows) {
    const table = `"${t.name.replaceAll('"', '""')}"`;
    // VACUUM cannot run inside a transaction: each runs on its own, between the callers' transactions. VACUUM and
    // ANALYZE are separate statements so that requests queued meanwhile run between them.
    if (t.vacuum) {
      await timed(() => db.exec(`VACUUM ${table}`));
      out.vacuumed.push(t.name);
    }
    if (t.analyze) {
      // SET LOCAL: the target ends with the transaction; nothing else on the connection sees it.
      await timed(() =>
        db.transaction(async (tx) => {
          await tx.query(`SET LOCAL default_statistics_target = ${ANALYZE_STATISTICS_TARGET}`);
          await tx.query(`ANALYZE ${table}`);
        }),
      );
      out.analyzed.push(t.name);
    }
  }
  out.ms = performance.now() - t0;
  return out;
}

/** A statement this long (ms) held every request behind it long enough to show in latency: logged at info. */
const LOUD_MS = 100;

/**
 * Runs maintenancePass every `intervalMs` on a PGlite database (a no-op for PostgreSQL or intervalMs 0). A pass
 * that fails is logged and the next one tries again; stop() waits for a pass in progress.
 */
export function startMaintenance(db: Database, opts: { intervalMs: number; logger: Logger }): { stop(): Promise<void> } {
  if (db.kind !== 'pglite' || opts.intervalMs <= 0) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = maintenancePass(db)
      .then(
        (p) => {
          if (!p.vacuumed.length && !p.analyzed.length) return;
          // A pass that held requests for a noticeable time says so at info: it explains a latency spike.
          const log = p.longestMs >= LOUD_MS ? opts.logger.info.bind(opts.logger) : opts.logger.debug.bind(opts.logger);
          log({ vacuumed: p.vacuumed, analyzed: p.analyzed, ms: Math.round(p.ms), longestMs: Math.round(p.longestMs) }, 'database maintenance');
        },
        (err: unknown) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'database maintenance failed; retrying next interval'),
      )
      .finally(() => (running = undefined));
  }, opts.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
