import { sql, type Queryable } from '../db/index.js';
import type { DriftReport, ReportEntry } from './types.js';

/** Stores a report and its entries in one statement (insertDriftReport.sql). */
export async function saveReport(q: Queryable, r: DriftReport): Promise<void> {
  const entries = r.entries.map((e) => ({
    ...e,
    handoffSince: e.handoffSince?.toISOString() ?? null,
    providerSince: e.providerSince?.toISOString() ?? null,
  }));
  await q.query(sql.insertDriftReport, [
    r.id,
    r.trigger,
    r.fix,
    r.runBy,
    r.startedAt,
    r.finishedAt,
    r.customersChecked,
    r.driftCount,
    r.fixedCount,
    JSON.stringify(r.providers),
    JSON.stringify(r.errors),
    JSON.stringify(entries),
    r.partial,
  ]);
}

interface Row {
  id: string;
  trigger: DriftReport['trigger'];
  fix: boolean;
  run_by: string;
  started_at: Date;
  finished_at: Date;
  customers_checked: number;
  drift_count: number;
  fixed_count: number;
  partial: boolean;
  providers: DriftReport['providers'];
  errors: DriftReport['errors'];
  entries: Array<Omit<ReportEntry, 'handoffSince' | 'providerSince'> & { handoffSince: string | null; providerSince: string | null }>;
}

/** The newest stored report (any trigger), or undefined when reconcile never ran. */
export async function latestReport(q: Queryable): Promise<DriftReport | undefined> {
  const row = (await q.query<Row>(sql.getLatestDriftReport)).rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    trigger: row.trigger,
    fix: row.fix,
    runBy: row.run_by,
    startedAt: new Date(row.started_at),
    finishedAt: new Date(row.finished_at),
    customersChecked: Number(row.customers_checked),
    driftCount: Number(row.drift_count),
    fixedCount: Number(row.fixed_count),
    partial: row.partial,
    providers: row.providers,
    errors: row.errors,
    entries: row.entries.map((e) => ({
      ...e,
      handoffSince: e.handoffSince ? new Date(e.handoffSince) : null,
      providerSince: e.providerSince ? new Date(e.providerSince) : null,
    })),
  };
}
