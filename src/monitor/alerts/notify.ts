import type { RuleName } from './rule-names.js';
import { duration } from './format.js';

/** An incident that just opened or resolved, as the evaluator recorded it. */
export interface IncidentChange {
  change: 'opened' | 'resolved';
  id: number;
  rule: RuleName;
  subject: string;
  title: string;
  summary: string;
  action: string;
  openedAt: Date;
  resolvedAt?: Date;
}

export interface AlertChannels {
  slack: boolean;
  /** Recipients of alert emails; empty = no email. */
  emailTo: readonly string[];
}

/** An outbox row as insertAlertJobs.sql takes it. */
export interface AlertJob {
  connector: 'slack' | 'email';
  kind: string;
  idempotency_key: string;
  payload: Record<string, unknown>;
}

/**
 * Pure: the outbox jobs that announce one incident change. Keys are derived from the incident id and the
 * change, so an incident is announced at most once per channel and change, however often it is evaluated.
 *
 * Slack: kind `notify`, payload `{template: 'alert_opened' | 'alert_resolved', facts}` (no customer).
 * Email: kind `send`, payload `{template, to, facts}`: the email connector sends these to `to` instead of
 * a customer (see the report to the lead: the connector must accept `to` and a job without a customer).
 */
export function alertJobs(c: IncidentChange, channels: AlertChannels): AlertJob[] {
  const template = `alert_${c.change}`;
  const facts = {
    incident_id: c.id,
    rule: c.rule,
    subject: c.subject,
    title: c.title,
    summary: c.summary,
    action: c.action,
    opened_at: c.openedAt.toISOString(),
    ...(c.resolvedAt ? { resolved_at: c.resolvedAt.toISOString(), open_for: duration(c.resolvedAt.getTime() - c.openedAt.getTime()) } : {}),
  };
  const out: AlertJob[] = [];
  if (channels.slack) out.push({ connector: 'slack', kind: 'notify', idempotency_key: `alert:${c.id}:${c.change}:slack`, payload: { template, facts } });
  if (channels.emailTo.length > 0) {
    out.push({ connector: 'email', kind: 'send', idempotency_key: `alert:${c.id}:${c.change}:email`, payload: { template, to: [...channels.emailTo], facts } });
  }
  return out;
}
