import { sql, type Database, type Tx } from '../../db/index.js';
import type { Logger } from '../logger.js';
import { alertJobs, type AlertChannels, type IncidentChange } from './notify.js';
import type { RuleName } from './rule-names.js';
import type { AlertsConfig, Finding, Rule } from './rules.js';

/** Arbitrary constant shared by every Handoff process (the migration lock is 7_246_001). */
export const ALERT_LOCK_KEY = 7_246_005;
const INT4_MAX = 2_147_483_647;

export interface EvaluatorDeps {
  db: Database;
  config: AlertsConfig;
  rules: readonly Rule[];
  channels: AlertChannels;
  /** Attempts for alert jobs (JOB_MAX_ATTEMPTS). */
  maxAttempts: number;
  logger: Logger;
  /** This evaluator's id in alert_evaluator. */
  id: string;
}

export type Evaluation = { evaluated: false; reason: 'locked' | 'not_leader' } | { evaluated: true; changes: IncidentChange[]; failedRules: RuleName[] };

interface OpenRow {
  id: number;
  rule: RuleName;
  subject: string;
  title: string;
  summary: string;
  detail: Record<string, unknown>;
  opened_at: Date;
}

/**
 * One evaluation, in ONE transaction:
 * 1. `pg_try_advisory_xact_lock`: another process evaluating right now → skip (never wait);
 * 2. leadership (alert_evaluator): the last evaluator stays leader; another takes over only when the
 *    leader has not evaluated for 3 intervals (at least 10 s) or gave it up when stopping. So N processes
 *    evaluate once per interval, not N times;
 * 3. every rule's findings are compared with the open incidents: new → opened, gone → resolved, still
 *    there → nothing (one message per change, none in between);
 * 4. incident rows and their outbox jobs commit together: a message is queued iff its change is recorded.
 * A rule that fails is rolled back to its savepoint and keeps its incidents as they are. The lock is only
 * held for a few indexed queries, never across network I/O (on PGlite a transaction blocks all writes).
 * Even without the lock, the partial unique index on open incidents allows one open incident per
 * (rule, subject), and job keys derive from the incident id: two evaluators can never both announce one.
 */
export function evaluateOnce(d: EvaluatorDeps): Promise<Evaluation> {
  return d.db.transaction(async (tx): Promise<Evaluation> => {
    const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ALERT_LOCK_KEY]);
    if (!lock.rows[0]?.ok) return { evaluated: false, reason: 'locked' };
    // A leader that stops gracefully hands over at once (releaseAlertEvaluation); one that died or stalls is
    // replaced after 3 intervals, never sooner than 10 s (a busy leader is not a dead one).
    const takeoverMs = Math.min(INT4_MAX, Math.max(3 * d.config.evalIntervalMs, 10_000));
    const claim = await tx.query(sql.claimAlertEvaluation, [d.id, takeoverMs]);
    if (claim.rows.length === 0) return { evaluated: false, reason: 'not_leader' };

    const open = (await tx.query<OpenRow>(sql.listOpenAlerts)).rows;
    const changes: IncidentChange[] = [];
    const failedRules: RuleName[] = [];
    for (const rule of d.rules) {
      const findings = await evaluateRule(tx, rule, d);
      if (!findings) {
        failedRules.push(rule.name);
        continue;
      }
      const mine = open.filter((o) => o.rule === rule.name);
      for (const f of findings) {
        if (mine.some((o) => o.subject === f.subject)) continue;
        const r = await tx.query<{ id: number; opened_at: Date }>(sql.openAlert, [rule.name, f.subject, f.title, f.summary, JSON.stringify({ ...f.detail, action: f.action })]);
        const row = r.rows[0];
        if (row) changes.push({ change: 'opened', id: Number(row.id), rule: rule.name, subject: f.subject, title: f.title, summary: f.summary, action: f.action, openedAt: new Date(row.opened_at) });
      }
      const still = new Set(findings.map((f) => f.subject));
      for (const o of mine) {
        if (still.has(o.subject)) continue;
        const r = await tx.query<{ id: number; opened_at: Date; resolved_at: Date }>(sql.resolveAlert, [o.id]);
        const row = r.rows[0];
        if (row) {
          changes.push({
            change: 'resolved',
            id: Number(row.id),
            rule: rule.name,
            subject: o.subject,
            title: o.title,
            summary: o.summary,
            action: typeof o.detail?.action === 'string' ? o.detail.action : '',
            openedAt: new Date(row.opened_at),
            resolvedAt: new Date(row.resolved_at),
          });
        }
      }
    }
    const jobs = changes.flatMap((c) => alertJobs(c, d.channels));
    if (jobs.length) await tx.query(sql.insertAlertJobs, [JSON.stringify(jobs), d.maxAttempts]);
    // Old webhook buckets: kept a day (or two windows) for inspection, then dropped.
    await tx.query(sql.pruneWebhookStats, [Math.min(INT4_MAX, Math.max(2 * d.config.webhookWindowMs, 86_400_000))]);
    for (const c of changes) d.logger.warn({ alert: c.rule, incidentId: c.id, change: c.change, title: c.title }, `alert ${c.change}`);
    return { evaluated: true, changes, failedRules };
  });
}

async function evaluateRule(tx: Tx, rule: Rule, d: EvaluatorDeps): Promise<Finding[] | undefined> {
  await tx.query('SAVEPOINT alert_rule');
  try {
    const findings = await rule.evaluate(tx, d.config);
    await tx.query('RELEASE SAVEPOINT alert_rule');
    return findings;
  } catch (err) {
    await tx.query('ROLLBACK TO SAVEPOINT alert_rule');
    d.logger.warn({ alert: rule.name, err: (err as Error).message }, 'alert rule could not be evaluated; its incidents stay as they are');
    return undefined;
  }
}
