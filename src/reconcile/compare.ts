/**
 * The drift model: Handoff's view of one customer against each provider's. Pure (no I/O); unit-tested.
 *
 * Which side is the truth: Stripe for billing (a difference heals by recording Stripe's status through
 * the pipeline), Handoff for the CRM (heals by pushing Handoff's state again), the helpdesk for whether a
 * ticket is still open (heals by recording the ticket's status through the pipeline).
 *
 * Never drift: work still in flight (a HubSpot or Zendesk job queued or running for the customer: the
 * outbox will converge), Stripe statuses that decide nothing (incomplete, paused), a customer without
 * subscriptions (a lead, or a trial started by the app), and a contact without an email (not matchable).
 */
import type { LifecycleState } from '../config/index.js';
import { stageToSend, SUPPORT_PROPERTY } from '../connectors/hubspot/index.js';
import { fromStripe } from '../events/stripe.js';
import type { DomainEventKind } from '../events/types.js';
import type { DriftCause, DriftEntry, Heal, LocalCustomer, ProviderViews, StripeSubscription, ZendeskTicketView } from './types.js';

export interface CompareOptions {
  /** HUBSPOT_STATE_PROPERTY (default handoff_lifecycle). */
  stateProperty: string;
  /** HUBSPOT_LIFECYCLE_MAP: Handoff state → lifecyclestage. */
  lifecycleMap: Readonly<Record<LifecycleState, string>>;
}

const KIND_TO_STATE: Partial<Record<DomainEventKind, LifecycleState>> = {
  'trial.started': 'trial',
  'subscription.active': 'paid',
  'subscription.past_due': 'past_due',
  'subscription.canceled': 'churned',
};

/**
 * The lifecycle Stripe's subscription status means, decided by the SAME mapping as webhooks
 * (events/stripe.ts): trialing → trial, active → paid, past_due/unpaid → past_due,
 * canceled/incomplete_expired → churned; anything else → undefined (decides nothing).
 */
export function lifecycleForStatus(status: string): LifecycleState | undefined {
  const kind = fromStripe({ id: 'reconcile', type: 'customer.subscription.updated', created: 0, data: { object: { id: 'sub', status } } }).kind;
  return kind ? KIND_TO_STATE[kind] : undefined;
}

const LIVE = new Set(['trialing', 'active', 'past_due', 'unpaid']);

/**
 * The subscription that decides the customer's billing state: a live one (trialing, active, past_due,
 * unpaid) before an ended one, then the newest. Subscriptions whose status decides nothing are skipped.
 */
export function decidingSubscription(subs: readonly StripeSubscription[]): StripeSubscription | undefined {
  const usable = subs.filter((s) => typeof s.status === 'string' && lifecycleForStatus(s.status) !== undefined);
  return usable.sort((a, b) => Number(LIVE.has(String(b.status))) - Number(LIVE.has(String(a.status))) || num(b.created) - num(a.created))[0];
}

/**
 * When the subscription entered its status, in Unix seconds (Stripe has no "updated" field):
 * ended/canceled time for ended ones, trial start for trials, the current period's start otherwise
 * (top level before 2025-03-31.basil, on the first item since), else the start date / creation.
 */
export function statusSince(sub: StripeSubscription): number {
  const status = String(sub.status);
  const item = firstItem(sub);
  const candidates =
    status === 'canceled' || status === 'incomplete_expired'
      ? [sub.ended_at, sub.canceled_at]
      : status === 'trialing'
        ? [sub.trial_start]
        : [sub.current_period_start, item?.current_period_start];
  for (const v of [...candidates, sub.start_date, sub.created]) if (num(v) > 0) return num(v);
  return 0;
}

const OPEN_STATUSES = new Set(['new', 'open', 'pending', 'hold']);

export function compareCustomer(local: LocalCustomer, views: ProviderViews, opts: CompareOptions): DriftEntry[] {
  return [...billing(local, views), ...crm(local, views, opts), ...helpdesk(local, views)];
}

function entry(local: LocalCustomer, e: Omit<DriftEntry, 'customerId' | 'email'>): DriftEntry {
  return { customerId: local.id, email: local.email, ...e };
}

function billing(local: LocalCustomer, views: ProviderViews): DriftEntry[] {
  if (!views.stripe) return [];
  const sub = decidingSubscription(views.stripe.subscriptions);
  if (!sub) return [];
  const status = String(sub.status);
  const expected = lifecycleForStatus(status)!;
  if (expected === local.lifecycle) return [];
  const since = statusSince(sub);
  const sinceDate = since > 0 ? new Date(since * 1000) : null;
  const last = local.lastStripeEventAt;
  const missed = !last || (sinceDate !== null && sinceDate > last);
  const cause: DriftCause = missed ? 'missed_webhook' : 'unknown';
  const explanation = missed
    ? `Stripe says ${status} (subscription ${String(sub.id)}${sinceDate ? ` since ${sinceDate.toISOString()}` : ''}), ` +
      (last ? `after the last Stripe event Handoff received (${last.toISOString()})` : 'and Handoff has received no Stripe event for this customer')
    : `Stripe says ${status} (subscription ${String(sub.id)}), but Handoff's last Stripe event is newer than that status; another source may have changed the state`;
  return [
    entry(local, {
      provider: 'stripe',
      field: 'lifecycle',
      handoffValue: local.lifecycle,
      providerValue: expected,
      handoffSince: local.updatedAt,
      providerSince: sinceDate,
      cause,
      explanation,
      heal: { kind: 'stripe_event', subscription: sub, status, since },
    }),
  ];
}

function crm(local: LocalCustomer, views: ProviderViews, opts: CompareOptions): DriftEntry[] {
  if (!views.hubspot || !local.email || local.crmInFlight) return [];
  const contact = views.hubspot.contact;
  const job = local.crmJob;
  const jobFailed = job !== null && (job.status === 'dead' || job.status === 'skipped');
  const causeOf = (): { cause: DriftCause; why: string } => {
    if (!job) return { cause: 'never_synced', why: 'no HubSpot job was ever queued for this customer' };
    if (jobFailed) return { cause: 'failed_job', why: `the last HubSpot job (#${job.id}) is ${job.status}` };
    return { cause: 'manual_crm_edit', why: `the last HubSpot job (#${job.id}) succeeded at ${job.at.toISOString()}, so the contact was changed in HubSpot since` };
  };
  const heal: Heal = { kind: 'crm_sync' };
  if (!contact) {
    const { cause, why } = causeOf();
    return [
      entry(local, {
        provider: 'hubspot',
        field: 'contact',
        handoffValue: 'present',
        providerValue: 'absent',
        handoffSince: local.updatedAt,
        providerSince: null,
        cause,
        explanation: `HubSpot has no contact for ${local.email}: ${cause === 'manual_crm_edit' ? 'it was deleted in HubSpot since the last successful job' : why}`,
        heal,
      }),
    ];
  }
  const out: DriftEntry[] = [];
  const differs = (field: string, ours: string, theirs: string | null | undefined, what: string) => {
    if ((theirs ?? null) === ours) return;
    const { cause, why } = causeOf();
    out.push(
      entry(local, {
        provider: 'hubspot',
        field,
        handoffValue: ours,
        providerValue: theirs ?? null,
        handoffSince: local.updatedAt,
        providerSince: contact.updatedAt,
        cause,
        explanation: `HubSpot's ${what} is ${theirs ? JSON.stringify(theirs) : 'empty'}, Handoff says ${JSON.stringify(ours)}: ${why}`,
        heal,
      }),
    );
  };
  // Without the schema scope the connector cannot write our two properties: comparing them would be noise.
  if (!job?.customPropertiesMissing) {
    differs(opts.stateProperty, local.lifecycle, contact.properties[opts.stateProperty], `${opts.stateProperty} property`);
    differs(SUPPORT_PROPERTY, local.support, contact.properties[SUPPORT_PROPERTY], `${SUPPORT_PROPERTY} property`);
  }
  // lifecyclestage never moves backwards: only a stage BEHIND the mapped one is drift (stageToSend decides, as the connector does).
  const mapped = opts.lifecycleMap[local.lifecycle];
  const current = contact.properties.lifecyclestage ?? null;
  if (stageToSend(current, mapped)) differs('lifecyclestage', mapped, current, 'lifecyclestage');
  return out;
}

function helpdesk(local: LocalCustomer, views: ProviderViews): DriftEntry[] {
  if (!views.zendesk || local.support !== 'needs_support' || local.ticketInFlight) return [];
  const remote = new Map(views.zendesk.tickets.map((t) => [t.id, t]));
  const known = local.tickets;
  if (known.length === 0) {
    const job = local.ticketJob;
    if (!job || (job.status !== 'dead' && job.status !== 'skipped')) return [];
    return [
      entry(local, {
        provider: 'zendesk',
        field: 'support',
        handoffValue: 'needs_support',
        providerValue: 'no ticket',
        handoffSince: local.updatedAt,
        providerSince: null,
        cause: 'failed_job',
        explanation: `Handoff says needs_support but no Zendesk ticket exists: the ticket job (#${job.id}) is ${job.status}`,
        heal: { kind: 'none', hint: job.status === 'dead' ? `fix the cause, then: handoff jobs retry ${job.id}` : 'configure Zendesk (ZENDESK_*), then the next escalation opens a ticket' },
      }),
    ];
  }
  // A ticket Zendesk no longer returns was deleted: it counts as closed, like the webhook's "deleted".
  const views_: ZendeskTicketView[] = known.map((k) => remote.get(k.id) ?? { id: k.id, status: 'deleted', updatedAt: null, externalId: null });
  if (views_.some((t) => OPEN_STATUSES.has(t.status))) return [];
  const changed = views_.filter((t) => {
    const ours = known.find((k) => k.id === t.id)!;
    return ours.status !== 'solved' && ours.status !== 'closed' ? true : !ours.statusAt || (t.updatedAt !== null && t.updatedAt > ours.statusAt);
  });
  const newest = views_.reduce<Date | null>((a, t) => (t.updatedAt && (!a || t.updatedAt > a) ? t.updatedAt : a), null);
  const list = views_.map((t) => `#${t.id} ${t.status}`).join(', ');
  const base = { provider: 'zendesk', field: 'support', handoffValue: 'needs_support', providerValue: 'none', handoffSince: local.updatedAt, providerSince: newest } as const;
  if (changed.length) {
    return [
      entry(local, {
        ...base,
        cause: 'missed_webhook',
        explanation: `Zendesk has no open ticket for this customer (${list}); Handoff never heard that ${changed.map((t) => `#${t.id}`).join(', ')} ${changed.length === 1 ? 'was' : 'were'} resolved`,
        heal: { kind: 'zendesk_event', tickets: changed },
      }),
    ];
  }
  // Handoff heard every resolution. If each came AFTER support last became needs_support, the last one was held
  // (support.ts: its ticket's own job was still queued or running) and nothing re-checked it when the job finished:
  // recording the tickets' status again now resolves it (no job is in flight: checked above). If support became
  // needs_support after them, the customer asked again without a ticket: that is the founder's call, not a heal.
  const since = local.supportSince;
  const heldOnly = since !== null && known.every((k) => k.statusAt !== null && k.statusAt >= since);
  return [
    entry(local, {
      ...base,
      cause: heldOnly ? 'held_resolution' : 'unknown',
      explanation: heldOnly
        ? `Zendesk has no open ticket for this customer (${list}); Handoff heard it but held the resolution while the ticket's job was still running`
        : `Zendesk has no open ticket for this customer (${list}), and Handoff knows it; support was set again without a ticket`,
      heal: heldOnly ? { kind: 'zendesk_event', tickets: views_ } : { kind: 'none', hint: 'send support.resolved for this customer from your app, or open a ticket' },
    }),
  ];
}

function firstItem(sub: StripeSubscription): Record<string, unknown> | undefined {
  const data = (sub.items as { data?: unknown } | undefined)?.data;
  const first = Array.isArray(data) ? data[0] : undefined;
  return first && typeof first === 'object' ? (first as Record<string, unknown>) : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
