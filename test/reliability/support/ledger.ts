import type { Queryable } from '../../../src/db/index.js';
import { webhookId } from '../../../src/connectors/webhook/index.js';
import type { HubspotEmulator, ResendEmulator, SlackEmulator, WebhookReceiver, ZendeskEmulator } from '../../emulators/index.js';

/**
 * The ledger every reliability scenario ends with: each acknowledged event is in the inbox, and each job it
 * caused ended in exactly one accountable way — delivered (`done`), dead-lettered WITH the last error, or
 * skipped WITH a reason. Anything still pending/running, or finished without a reason, is unaccounted.
 * Provider-side duplicates are checked against the emulators with `checkProviders` below.
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

/** The emulators a scenario configured; absent ones are not checked. */
export interface Providers {
  hubspot?: HubspotEmulator;
  zendesk?: ZendeskEmulator;
  resend?: ResendEmulator;
  webhooks?: WebhookReceiver;
  slack?: SlackEmulator;
}

/**
 * The provider side of the ledger.
 * - `duplicates`: a record that exists twice — HubSpot contacts per email, Zendesk tickets per external id,
 *   emails per Idempotency-Key, outbound messages per `webhook-id` among the distinct ones the receiver keeps
 *   (a repeated delivery of ONE id is at-least-once by design: a deduplicating receiver drops it; counted
 *   in `webhookRepeats`). Empty objects when none.
 * - `undelivered`: a `done` job whose effect the provider does not have (a completion recorded for nothing).
 * - Slack has no idempotency key: a kill between its `ok` and the recorded completion repeats a message.
 *   `slack.repeats` = messages beyond the done jobs; the scenario bounds it by the jobs that were in flight
 *   at a kill (`slack.rerun`: every attempt that may have posted before the one that decided the job — the
 *   extra attempts of done jobs; of skipped ones too (an earlier attempt posted, its result was lost with its
 *   lease, and the re-run found the alert no longer due, e.g. the payment recovered meanwhile); and every attempt
 *   of a dead one (dead-lettered because no result could be recorded). Each can repeat at most one message).
 */
export interface ProviderCheck {
  duplicates: { hubspot: Record<string, number>; zendesk: Record<string, number>; email: Record<string, number>; webhook: Record<string, number> };
  undelivered: string[];
  slack: { messages: number; done: number; repeats: number; rerun: number };
  webhookRepeats: number;
  /** Done jobs per connector (so a scenario can prove every connector was exercised). */
  done: Record<string, number>;
}

interface DoneJob {
  id: number;
  connector: string;
  kind: string;
  idempotency_key: string;
  attempts: number;
  email: string | null;
  escalation_id: string | null;
}

export async function checkProviders(db: Queryable, p: Providers): Promise<ProviderCheck> {
  const { rows } = await db.query<DoneJob>(
    `SELECT j.id, j.connector, j.kind, j.idempotency_key, j.attempts, c.email, j.payload->'facts'->>'escalation_id' AS escalation_id
       FROM jobs j LEFT JOIN customers c ON c.id = j.customer_id WHERE j.status = 'done' ORDER BY j.id`,
  );
  const done: Record<string, number> = {};
  for (const j of rows) done[j.connector] = (done[j.connector] ?? 0) + 1;
  const undelivered: string[] = [];
  const miss = (j: DoneJob, what: string) => undelivered.push(`job ${j.id} (${j.connector}/${j.kind}): ${what}`);

  const contacts = p.hubspot ? [...p.hubspot.contacts.values()] : [];
  const contactEmails = new Set(contacts.map((c) => String(c.properties.email ?? '').toLowerCase()));
  const tickets = p.zendesk ? [...p.zendesk.tickets.values()] : [];
  const externalIds = new Set(tickets.map((t) => t.external_id));
  const emails = p.resend?.emails ?? [];
  const emailKeys = new Set(emails.map((e) => e.idempotencyKey));
  const hooks = p.webhooks?.unique() ?? [];
  const hookIds = new Set(hooks.map((m) => m.id));

  for (const j of rows) {
    if (j.connector === 'hubspot' && p.hubspot && j.email && !contactEmails.has(j.email.toLowerCase())) miss(j, `no contact ${j.email}`);
    if (j.connector === 'zendesk' && p.zendesk && j.escalation_id && !externalIds.has(j.escalation_id)) miss(j, `no ticket with external_id ${j.escalation_id}`);
    if (j.connector === 'email' && p.resend && !emailKeys.has(j.idempotency_key)) miss(j, 'no email with its Idempotency-Key');
    if (j.connector === 'webhook' && p.webhooks && !hookIds.has(webhookId(j.idempotency_key))) miss(j, 'no delivery with its webhook-id');
  }

  const slackDone = rows.filter((j) => j.connector === 'slack');
  const messages = p.slack?.messages.length ?? 0;
  const slackUndone = (
    await db.query<{ n: number }>(
      `SELECT COALESCE(sum(CASE WHEN status = 'dead' THEN attempts ELSE GREATEST(attempts - 1, 0) END), 0)::integer AS n
         FROM jobs WHERE connector = 'slack' AND status IN ('skipped', 'dead')`,
    )
  ).rows[0]!.n;
  return {
    duplicates: {
      hubspot: duplicates(contacts.map((c) => String(c.properties.email ?? '').toLowerCase())),
      zendesk: duplicates(tickets.filter((t) => t.external_id !== null).map((t) => t.external_id!)),
      email: duplicates(emails.filter((e) => e.idempotencyKey !== undefined).map((e) => e.idempotencyKey!)),
      webhook: duplicates(hooks.map((m) => m.id)),
    },
    undelivered,
    slack: { messages, done: slackDone.length, repeats: Math.max(0, messages - slackDone.length), rerun: slackDone.reduce((n, j) => n + Math.max(0, j.attempts - 1), slackUndone) },
    webhookRepeats: (p.webhooks?.delivered.length ?? 0) - hooks.length,
    done,
  };
}
