import type { AppConfig } from '../../config/index.js';
import { sql, type Queryable } from '../../db/index.js';
import { RULES } from './rules.js';

export interface IncidentView {
  id: number;
  rule: string;
  subject: string;
  title: string;
  summary: string;
  action: string | null;
  opened_at: string;
  resolved_at: string | null;
}

export interface AlertsView {
  open: IncidentView[];
  /** The most recent incidents (open and resolved), newest first. */
  history: IncidentView[];
  rules: Array<{ rule: string; threshold: string }>;
  evaluator: { interval_ms: number; last_evaluated_at: string | null; last_evaluated_by: string | null };
}

interface Row {
  id: number;
  rule: string;
  subject: string;
  title: string;
  summary: string;
  detail: Record<string, unknown> | null;
  opened_at: Date;
  resolved_at: Date | null;
}

/** Alert state and history as GET /api/alerts (and the CLI) show it. */
export async function listAlerts(q: Queryable, config: AppConfig, limit = 50): Promise<AlertsView> {
  const { rows } = await q.query<Row>(sql.listAlerts, [limit]);
  const openRows = await q.query<Row>(sql.listOpenAlerts);
  const leader = (await q.query<{ evaluated_by: string; evaluated_at: Date }>(sql.getAlertEvaluator)).rows[0];
  const view = (r: Row): IncidentView => ({
    id: Number(r.id),
    rule: r.rule,
    subject: r.subject,
    title: r.title,
    summary: r.summary,
    action: typeof r.detail?.action === 'string' ? r.detail.action : null,
    opened_at: new Date(r.opened_at).toISOString(),
    resolved_at: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
  });
  return {
    open: openRows.rows.map((r) => view({ ...r, resolved_at: null })),
    history: rows.map(view),
    rules: RULES.map((r) => ({ rule: r.name, threshold: r.threshold(config.alerts) })),
    evaluator: {
      interval_ms: config.alerts.evalIntervalMs,
      last_evaluated_at: leader ? new Date(leader.evaluated_at).toISOString() : null,
      last_evaluated_by: leader?.evaluated_by ?? null,
    },
  };
}
