import { sql } from '../db/index.js';
import type { Logger } from '../monitor/index.js';
import { runReconcile, type ReconcileDeps } from './run.js';
import type { DriftReport } from './types.js';

/** Arbitrary constant shared by every Handoff process (alerts use 7_246_005, migrations 7_246_001). */
export const RECONCILE_LOCK_KEY = 7_246_009;
const INT4_MAX = 2_147_483_647;
/** How often a worker looks whether the run is due (and at most the interval). */
const CHECK_MS = 60_000;
/** A claim outlives a worker that died mid-run by at least this much before another may run. */
const MIN_LEASE_MS = 600_000;

export interface ScheduleDeps extends ReconcileDeps {
  intervalMs: number;
  logger: Logger;
  /** This worker's id (stored as the report's run_by). */
  id: string;
}

export interface ReconcileSchedule {
  start(): Promise<void>;
  /** Stops the timer; a run in progress ends after its current customer and stores a partial report. */
  stop(): Promise<void>;
  /** One check: claims and runs when due. Returns the report when this worker ran. */
  tick(): Promise<DriftReport | undefined>;
}

/**
 * The scheduled reconcile (RECONCILE_INTERVAL_MS, default 6 h; 0 = off), started in every worker. One
 * worker at a time runs it: each check takes `pg_try_advisory_xact_lock` (never waits) and claims the
 * slot in reconcile_schedule only when the run is due and no other run holds it (a lease of
 * max(interval, 10 min), so a worker that died mid-run is replaced). The lock is held only for the claim,
 * never across the run's network reads (on PGlite a transaction blocks all writes). The first run comes
 * one interval after the first worker ever started; each next one an interval after the previous ended.
 * The report (trigger `schedule`) is what the drift_detected alert rule reads. Reports only: healing is
 * the founder's decision (`handoff reconcile --fix`, POST /api/drift/fix).
 */
export function createReconcileSchedule(d: ScheduleDeps): ReconcileSchedule {
  const log = d.logger.child({ role: 'reconcile' });
  const lease = Math.min(INT4_MAX, Math.max(d.intervalMs, MIN_LEASE_MS));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let abort = new AbortController();

  const claim = () =>
    d.db.transaction(async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [RECONCILE_LOCK_KEY]);
      if (!lock.rows[0]?.ok) return false;
      return (await tx.query(sql.claimReconcileRun, [d.id, Math.min(INT4_MAX, d.intervalMs), lease])).rows.length > 0;
    });

  async function tick(): Promise<DriftReport | undefined> {
    if (!(await claim())) return undefined;
    try {
      const report = await runReconcile(d, { trigger: 'schedule', runBy: d.id, signal: abort.signal });
      const level = report.driftCount || report.errors.length ? 'warn' : 'info';
      log[level]({ reportId: report.id, customers: report.customersChecked, drift: report.driftCount, errors: report.errors.length }, 'scheduled reconcile finished');
      return report;
    } finally {
      await d.db.query(sql.finishReconcileRun, [d.id, Math.min(INT4_MAX, d.intervalMs)]).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not free the reconcile slot; it frees itself when the lease ends'));
    }
  }

  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      const p = tick().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduled reconcile failed; trying again at the next check'));
      running = p;
      void p.finally(() => {
        running = undefined;
        if (!stopped) schedule(Math.min(CHECK_MS, d.intervalMs));
      });
    }, delay);
    timer.unref();
  };

  return {
    tick,
    async start() {
      if (!stopped || d.intervalMs === 0) return;
      stopped = false;
      abort = new AbortController();
      schedule(0); // seeds the slot on a fresh database; runs only if a run is already due
    },
    async stop() {
      stopped = true;
      abort.abort(); // a run in progress ends after its current customer (its report is stored, partial)
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
