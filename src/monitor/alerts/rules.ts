import type { AppConfig } from '../../config/index.js';
import { sql, type Queryable } from '../../db/index.js';
import { connectorRules } from './connector-rules.js';
import { driftRules } from './drift-rules.js';
import { counts, displayUrl, duration, money, percent, short } from './format.js';
import type { RuleName } from './rule-names.js';

export type AlertsConfig = AppConfig['alerts'];

/** One thing a rule found wrong right now. `subject` tells incidents of one rule apart ('' = rule-wide). */
export interface Finding {
  subject: string;
  title: string;
  summary: string;
  /** What the founder does about it (goes into the message). */
  action: string;
  detail?: Record<string, unknown>;
}

/**
 * A rule reads the database (never the network) and returns what is wrong NOW; the evaluator turns the
 * difference with the open incidents into "opened" and "resolved" messages. A rule that throws keeps its
 * incidents as they are until it can be evaluated again.
 */
export interface Rule {
  name: RuleName;
  /** The threshold in words (for /api/alerts and the handover report). */
  threshold(cfg: AlertsConfig): string;
  evaluate(q: Queryable, cfg: AlertsConfig): Promise<Finding[]>;
}

const webhookFailureRate: Rule = {
  name: 'webhook_failure_rate',
  threshold: (cfg) => `non-2xx above ${percent(cfg.webhookFailureRate)} of webhook requests over ${duration(cfg.webhookWindowMs)} (ALERT_WEBHOOK_FAILURE_RATE, ALERT_WEBHOOK_WINDOW_MS)`,
  async evaluate(q, cfg) {
    const { rows } = await q.query<{ outcome: string; n: number }>(sql.alertWebhookFailures, [cfg.webhookWindowMs]);
    const total = rows.reduce((s, r) => s + r.n, 0);
    const failedRows = rows.filter((r) => r.outcome !== 'accepted' && r.outcome !== 'duplicate');
    const failed = failedRows.reduce((s, r) => s + r.n, 0);
    if (total === 0 || failed / total <= cfg.webhookFailureRate) return [];
    const byOutcome = failedRows.map((r) => `${r.outcome} ${r.n}`).join(', ');
    return [
      {
        subject: '',
        title: `Webhook failures above ${percent(cfg.webhookFailureRate)}`,
        summary: `${failed} of ${total} webhook requests failed in the last ${duration(cfg.webhookWindowMs)} (${percent(failed / total)}): ${byOutcome}`,
        action:
          'rejected_signature: check that STRIPE_WEBHOOK_SECRET / CLERK_WEBHOOK_SECRET match the endpoint secrets in each dashboard (and that no proxy alters the body); ' +
          'error: see the server log by request id; the senders retry, nothing is lost while they do.',
        detail: { total, failed, by_outcome: Object.fromEntries(failedRows.map((r) => [r.outcome, r.n])) },
      },
    ];
  },
};

const oldestPending: Rule = {
  name: 'oldest_pending_job',
  threshold: (cfg) => `a job not delivered ${duration(cfg.oldestPendingMs)} after it was queued (ALERT_OLDEST_PENDING_MS)`,
  async evaluate(q, cfg) {
    const { rows } = await q.query<{ connector: string; n: number; oldest_seconds: number }>(sql.alertOldestPending, [cfg.oldestPendingMs]);
    if (rows.length === 0) return [];
    const n = rows.reduce((s, r) => s + r.n, 0);
    const oldest = Math.max(...rows.map((r) => Number(r.oldest_seconds)));
    return [
      {
        subject: '',
        title: `Outbox backlog: jobs waiting over ${duration(cfg.oldestPendingMs)}`,
        summary: `${n} job${n === 1 ? '' : 's'} not delivered after ${duration(cfg.oldestPendingMs)} (oldest ${duration(oldest * 1000)}): ${counts(rows)}`,
        action: 'Run `handoff doctor`: is a worker running (GET /api/ready)? Is a provider down, rate limiting or paused? `handoff jobs` lists the waiting jobs and their last errors.',
        detail: { jobs: n, oldest_seconds: Math.round(oldest), by_connector: Object.fromEntries(rows.map((r) => [r.connector, r.n])) },
      },
    ];
  },
};

const deadLetter: Rule = {
  name: 'dead_letter',
  threshold: () => 'any dead-lettered job',
  async evaluate(q) {
    const { rows } = await q.query<{ connector: string; n: number; last_error: string | null }>(sql.alertDeadJobs);
    if (rows.length === 0) return [];
    const n = rows.reduce((s, r) => s + r.n, 0);
    const last = rows.find((r) => r.last_error)?.last_error;
    return [
      {
        subject: '',
        title: 'Dead-lettered jobs',
        summary: `${n} job${n === 1 ? '' : 's'} gave up: ${counts(rows)}${last ? `. Last error: ${short(last)}` : ''}`,
        action: '`handoff jobs --status dead` shows each error; fix the cause, then `handoff jobs retry --all-dead` (keys are kept, so nothing is sent twice).',
        detail: { jobs: n, by_connector: Object.fromEntries(rows.map((r) => [r.connector, r.n])) },
      },
    ];
  },
};

const ticketFailures: Rule = {
  name: 'ticket_creation_failing',
  threshold: (cfg) => `${cfg.ticketFailures} consecutive failed Zendesk ticket creations (ALERT_TICKET_FAILURES)`,
  async evaluate(q, cfg) {
    const { rows } = await q.query<{ failures: number; jobs: number; last_error: string | null }>(sql.alertTicketFailures);
    const r = rows[0];
    if (!r || r.failures < cfg.ticketFailures) return [];
    return [
      {
        subject: '',
        title: 'Zendesk ticket creation failing',
        summary: `${r.failures} failed attempts in a row (${r.jobs} escalation${r.jobs === 1 ? '' : 's'} waiting or dead)${r.last_error ? `. Last error: ${short(r.last_error)}` : ''}`,
        action: 'Check ZENDESK_* credentials and Zendesk status; `handoff jobs --connector zendesk` lists the escalations; customers are waiting for an answer.',
        detail: { failures: r.failures, jobs: r.jobs },
      },
    ];
  },
};

const paymentNotRecovered: Rule = {
  name: 'payment_not_recovered',
  threshold: (cfg) => `invoice.payment_failed without invoice.paid within ${duration(cfg.paymentRecoveryMs)} (ALERT_PAYMENT_RECOVERY_MS)`,
  async evaluate(q, cfg) {
    const { rows } = await q.query<{ invoice: string; failed_at: Date; customer_id: string | null; email: string | null; amount_due: unknown; currency: string | null }>(
      sql.alertPaymentsNotRecovered,
      [cfg.paymentRecoveryMs],
    );
    return rows.map((r) => {
      const m = money(r.amount_due, r.currency);
      const amount = m ? ` (${m})` : '';
      return {
        subject: r.invoice,
        title: `Payment not recovered after ${duration(cfg.paymentRecoveryMs)}`,
        summary: `${r.email ?? r.customer_id ?? 'unknown customer'}: invoice ${r.invoice}${amount} failed ${new Date(r.failed_at).toISOString().slice(0, 16).replace('T', ' ')} UTC and is still unpaid`,
        action: "Reach out to the customer (the dunning email went out); check the invoice's retry schedule in Stripe.",
        detail: { invoice: r.invoice, customer_id: r.customer_id },
      };
    });
  },
};

const signupWithoutCrm: Rule = {
  name: 'signup_without_crm',
  threshold: (cfg) => `a signup without a HubSpot contact ${duration(cfg.signupCrmMs)} later (ALERT_SIGNUP_CRM_MS)`,
  async evaluate(q, cfg) {
    const { rows } = await q.query<{ n: number; oldest_seconds: number | null; emails: string[] | null }>(sql.alertSignupsWithoutCrm, [cfg.signupCrmMs]);
    const r = rows[0];
    if (!r || r.n === 0) return [];
    const who = (r.emails ?? []).join(', ');
    return [
      {
        subject: '',
        title: `Signups missing in the CRM after ${duration(cfg.signupCrmMs)}`,
        summary: `${r.n} signup${r.n === 1 ? '' : 's'} without a HubSpot contact${who ? ` (${who}${r.n > (r.emails?.length ?? 0) ? ', …' : ''})` : ''}`,
        action: 'Check HUBSPOT_ACCESS_TOKEN and HubSpot status; `handoff jobs --connector hubspot` shows the errors. Contacts are created as soon as the jobs succeed.',
        detail: { signups: r.n },
      },
    ];
  },
};

const uptime: Rule = {
  name: 'uptime',
  threshold: (cfg) =>
    `${cfg.uptime.failures} consecutive failed probes of a URL in UPTIME_URLS, probed every ${duration(cfg.uptime.intervalMs)} (UPTIME_FAILURES, UPTIME_INTERVAL_MS)`,
  async evaluate(q, cfg) {
    if (cfg.uptime.urls.length === 0) return [];
    const { rows } = await q.query<{ url: string; consecutive_failures: number; last_result: string | null }>(sql.alertUptime, [cfg.uptime.urls, cfg.uptime.failures]);
    return rows.map((r) => ({
      subject: r.url,
      title: `${displayUrl(r.url)} is down`,
      summary: `${r.consecutive_failures} failed checks in a row; last: ${r.last_result ?? 'unknown'}`,
      action: 'Open the URL yourself; check your hosting provider and the last deploy. The alert resolves after the first successful check.',
      detail: { failures: r.consecutive_failures, last_result: r.last_result },
    }));
  },
};

/** Every rule, in evaluation order. */
export const RULES: readonly Rule[] = [webhookFailureRate, oldestPending, deadLetter, ticketFailures, ...connectorRules, paymentNotRecovered, signupWithoutCrm, uptime, ...driftRules];
