import type { LifecycleState } from '../config/index.js';
import type { ConnectorName } from '../connectors/types.js';
import type { DomainEvent } from '../events/types.js';
import type { EffectName, Support } from './table.js';

/** What an effect requires of the customer WHEN IT RUNS; otherwise the job is skipped with the reason. */
export interface Requirement {
  lifecycle?: LifecycleState[];
  support?: Support[];
}

export interface JobSpec {
  connector: ConnectorName;
  kind: string;
  /** Derived from the cause (effect + source + event id): a retried webhook can never queue it twice. */
  idempotencyKey: string;
  payload: JobPayload;
}

/**
 * A job that can only be queued once another has succeeded (the confirmation email needs the ticket
 * number). The dispatcher queues it in the same transaction that records the parent as done, with the
 * parent's result facts merged into `payload.facts`. Its key is fixed at queue time, so it is queued once.
 */
export interface FollowUp {
  connector: ConnectorName;
  kind: string;
  idempotencyKey: string;
  payload: JobPayload;
}

export interface JobPayload {
  requires?: Requirement;
  facts?: DomainEvent['facts'];
  then?: FollowUp[];
  [k: string]: unknown;
}

const slack = (template: string, requires?: Requirement) => (e: DomainEvent) => ({
  connector: 'slack' as const,
  kind: 'notify',
  payload: { template, facts: e.facts, ...(requires ? { requires } : {}) },
});

/** A customer email (Resend); templates live in templates/email/<template>.{subject,txt,html}. */
const email = (template: string, requires?: Requirement) => (e: DomainEvent) => ({
  connector: 'email' as const,
  kind: 'send',
  payload: { template, facts: e.facts, ...(requires ? { requires } : {}) },
});

const BUILDERS: Record<EffectName, (e: DomainEvent) => Omit<JobSpec, 'idempotencyKey'>> = {
  // Pushes the customer's state as it is when the job runs, so one late job is as good as many.
  crm_sync: () => ({ connector: 'hubspot', kind: 'upsert_contact', payload: {} }),
  slack_new_paying: slack('new_paying_customer', { lifecycle: ['paid'] }),
  slack_payment_failed: slack('payment_failed', { lifecycle: ['past_due'] }),
  slack_churned: slack('churned', { lifecycle: ['churned'] }),
  slack_refund: slack('refund'),
  // One ticket per escalation (external_id = escalation id); the confirmation email follows once the ticket exists.
  zendesk_ticket: (e) => ({
    connector: 'zendesk',
    kind: 'create_ticket',
    payload: {
      facts: e.facts,
      requires: { support: ['needs_support'] },
      then: [
        {
          connector: 'email',
          kind: 'send',
          idempotencyKey: `email_support_confirmation:${e.source}:${e.eventId}`,
          payload: { template: 'support_confirmation', facts: e.facts },
        },
      ],
    },
  }),
  // Dunning: only while the customer is still past due when the job runs (not after they have paid).
  email_payment_failed: email('payment_failed', { lifecycle: ['past_due'] }),
  // Only to a customer still on trial (a converted customer gets no "your trial ends" email).
  email_trial_ending: email('trial_ending', { lifecycle: ['trial'] }),
  // The chatbot's note (facts.note, ≤ 2000 chars): one HubSpot property on the contact, matched by email.
  crm_note: (e) => ({ connector: 'hubspot', kind: 'update_note', payload: { note: e.facts.note ?? null } }),
};

/**
 * Effects that belong to the EVENT, not to the state it leads to: each failed payment and each refund is
 * its own incident. They are queued even when the event is stale (it arrived after a newer one); their
 * run-time requirement still decides (no payment alert for a customer who has paid since).
 */
export const PER_EVENT_EFFECTS: ReadonlySet<EffectName> = new Set<EffectName>(['slack_payment_failed', 'slack_refund', 'email_payment_failed']);

/** Pure: the outbox rows an applied rule queues for one event. */
export function jobsFor(effects: readonly EffectName[], event: DomainEvent): JobSpec[] {
  return effects.map((name) => ({ ...BUILDERS[name](event), idempotencyKey: `${name}:${event.source}:${event.eventId}` }));
}

/** Pure: why a job must not run against this customer now, or undefined when it may. */
export function unmetRequirement(req: Requirement | undefined, now: { lifecycle: LifecycleState; support: Support }): string | undefined {
  if (req?.lifecycle && !req.lifecycle.includes(now.lifecycle)) return `customer is ${now.lifecycle} now (effect needs ${req.lifecycle.join(' or ')})`;
  if (req?.support && !req.support.includes(now.support)) return `support is ${now.support} now (effect needs ${req.support.join(' or ')})`;
  return undefined;
}
