import { describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_LIFECYCLE_MAP } from '../../src/config/index.js';
import { fromStripe } from '../../src/events/index.js';
import { compareCustomer, decidingSubscription, lifecycleForStatus, statusSince, type LocalCustomer } from '../../src/reconcile/index.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { stripeSubscription } from '../stripe-api/objects.js';

/** The drift model alone: no database, no HTTP. Subscriptions are built from Stripe's sample objects. */
const T0 = 1_767_225_600; // 2026-01-01
const DAY = 86_400;
const opts = { stateProperty: 'handoff_lifecycle', lifecycleMap: DEFAULT_HUBSPOT_LIFECYCLE_MAP };

function local(over: Partial<LocalCustomer> = {}): LocalCustomer {
  return {
    id: 'c1',
    email: 'ada@example.com',
    lifecycle: 'paid',
    support: 'none',
    updatedAt: new Date(T0 * 1000),
    stripeCustomers: ['cus_1'],
    lastStripeEventAt: new Date(T0 * 1000),
    crmJob: { id: 7, status: 'done', at: new Date((T0 + 60) * 1000), customPropertiesMissing: false },
    crmInFlight: false,
    ticketJob: null,
    ticketInFlight: false,
    tickets: [],
    supportSince: null,
    ...over,
  };
}
const contact = (props: Record<string, string | null>) => ({ id: '501', properties: { lifecyclestage: 'customer', handoff_lifecycle: 'paid', handoff_support: 'none', ...props }, updatedAt: new Date((T0 + DAY) * 1000) });

describe('Stripe status → lifecycle', () => {
  it('is the webhook mapping of events/stripe.ts, status by status', () => {
    for (const status of ['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete_expired', 'incomplete', 'paused']) {
      const evt = stripeEvent('customer.subscription.updated', 'subscription', { status, customer: 'cus_1' });
      const kind = fromStripe(evt).kind;
      const byKind: Record<string, string> = { 'trial.started': 'trial', 'subscription.active': 'paid', 'subscription.past_due': 'past_due', 'subscription.canceled': 'churned' };
      const expected = kind ? byKind[kind] : undefined;
      expect(lifecycleForStatus(status), status).toBe(expected);
    }
    expect(lifecycleForStatus('unpaid')).toBe('past_due');
    expect(lifecycleForStatus('incomplete_expired')).toBe('churned');
  });

  it('a live subscription decides before an ended one; statusSince reads the period start on the item (basil)', () => {
    const old = stripeSubscription({ id: 'sub_old', customer: 'cus_1', status: 'canceled', created: T0, endedAt: T0 + 10 * DAY });
    const live = stripeSubscription({ id: 'sub_new', customer: 'cus_1', status: 'past_due', created: T0 - DAY, periodStart: T0 + 30 * DAY });
    const paused = stripeSubscription({ id: 'sub_p', customer: 'cus_1', status: 'paused', created: T0 + 40 * DAY });
    expect(decidingSubscription([old, paused, live])?.id).toBe('sub_new');
    expect(statusSince(live)).toBe(T0 + 30 * DAY);
    expect(statusSince(old)).toBe(T0 + 10 * DAY);
    expect(decidingSubscription([paused])).toBeUndefined();
  });
});

describe('compareCustomer', () => {
  const pastDue = stripeSubscription({ id: 'sub_1', customer: 'cus_1', status: 'past_due', created: T0, periodStart: T0 + 30 * DAY });

  it('billing: Stripe past_due after our last Stripe event → missed webhook, healed by a Stripe event', () => {
    const [e, ...rest] = compareCustomer(local(), { stripe: { subscriptions: [pastDue] } }, opts);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ provider: 'stripe', field: 'lifecycle', handoffValue: 'paid', providerValue: 'past_due', cause: 'missed_webhook' });
    expect(e!.providerSince).toEqual(new Date((T0 + 30 * DAY) * 1000));
    expect(e!.heal).toMatchObject({ kind: 'stripe_event', status: 'past_due', since: T0 + 30 * DAY });
  });

  it('billing: our last Stripe event is newer than Stripe\'s change → cause unknown; same state → nothing', () => {
    const later = local({ lastStripeEventAt: new Date((T0 + 40 * DAY) * 1000) });
    expect(compareCustomer(later, { stripe: { subscriptions: [pastDue] } }, opts)[0]?.cause).toBe('unknown');
    expect(compareCustomer(local({ lifecycle: 'past_due' }), { stripe: { subscriptions: [pastDue] } }, opts)).toEqual([]);
    expect(compareCustomer(local({ lifecycle: 'lead' }), { stripe: { subscriptions: [] } }, opts)).toEqual([]);
  });

  it('CRM: a changed property after a successful job is a manual edit; a dead job is a failed job; no job never synced', () => {
    const views = { hubspot: { contact: contact({ handoff_lifecycle: 'churned' }) } };
    const [e] = compareCustomer(local(), views, opts);
    expect(e).toMatchObject({ provider: 'hubspot', field: 'handoff_lifecycle', handoffValue: 'paid', providerValue: 'churned', cause: 'manual_crm_edit', heal: { kind: 'crm_sync' } });
    const dead = local({ crmJob: { id: 9, status: 'dead', at: new Date(), customPropertiesMissing: false } });
    expect(compareCustomer(dead, views, opts)[0]?.cause).toBe('failed_job');
    expect(compareCustomer(local({ crmJob: null }), views, opts)[0]?.cause).toBe('never_synced');
    expect(compareCustomer(local(), { hubspot: { contact: null } }, opts)[0]).toMatchObject({ field: 'contact', providerValue: 'absent', cause: 'manual_crm_edit' });
  });

  it('CRM: in-flight jobs, matching contacts, stages ahead of ours and unwritable properties are not drift', () => {
    const edited = { hubspot: { contact: contact({ handoff_lifecycle: 'churned', handoff_support: 'needs_support' }) } };
    expect(compareCustomer(local({ crmInFlight: true }), edited, opts)).toEqual([]);
    expect(compareCustomer(local(), { hubspot: { contact: contact({ lifecyclestage: 'evangelist' }) } }, opts)).toEqual([]);
    const noScope = local({ crmJob: { id: 7, status: 'done', at: new Date(), customPropertiesMissing: true } });
    expect(compareCustomer(noScope, edited, opts)).toEqual([]);
    // A stage moved back by hand is behind the mapped one: drift on lifecyclestage.
    const behind = compareCustomer(local(), { hubspot: { contact: contact({ lifecyclestage: 'lead' }) } }, opts);
    expect(behind.map((e) => [e.field, e.handoffValue, e.providerValue])).toEqual([['lifecyclestage', 'customer', 'lead']]);
    expect(compareCustomer(local({ email: null }), edited, opts)).toEqual([]);
  });

  it('helpdesk: needs_support with every ticket solved in Zendesk → missed webhook, healed by the tickets\' status', () => {
    const me = local({ support: 'needs_support', tickets: [{ id: '3', status: 'open', statusAt: new Date(T0 * 1000) }] });
    const solved = { id: '3', status: 'solved', updatedAt: new Date((T0 + DAY) * 1000), externalId: 'esc-1' };
    const [e] = compareCustomer(me, { zendesk: { tickets: [solved] } }, opts);
    expect(e).toMatchObject({ provider: 'zendesk', field: 'support', handoffValue: 'needs_support', providerValue: 'none', cause: 'missed_webhook' });
    expect(e!.heal).toEqual({ kind: 'zendesk_event', tickets: [solved] });
    expect(compareCustomer(me, { zendesk: { tickets: [{ ...solved, status: 'pending' }] } }, opts)).toEqual([]);
    expect(compareCustomer(local({ tickets: me.tickets }), { zendesk: { tickets: [solved] } }, opts)).toEqual([]);
  });

  it('helpdesk: every resolution heard after support became needs_support → a held resolution, healed; asked again since → no heal', () => {
    // Escalated at T0; ticket 3 solved at T0 + 1 day, while its own create_ticket job was still retrying (held).
    const solvedAt = new Date((T0 + DAY) * 1000);
    const solved = { id: '3', status: 'solved', updatedAt: solvedAt, externalId: 'esc-1' };
    const held = local({ support: 'needs_support', supportSince: new Date(T0 * 1000), tickets: [{ id: '3', status: 'solved', statusAt: solvedAt }] });
    const [e] = compareCustomer(held, { zendesk: { tickets: [solved] } }, opts);
    expect(e).toMatchObject({ provider: 'zendesk', field: 'support', handoffValue: 'needs_support', providerValue: 'none', cause: 'held_resolution' });
    expect(e!.heal).toEqual({ kind: 'zendesk_event', tickets: [solved] });
    // The customer asked again after the solve (support set again, no ticket): the founder's call.
    const again = { ...held, supportSince: new Date((T0 + 2 * DAY) * 1000) };
    expect(compareCustomer(again, { zendesk: { tickets: [solved] } }, opts)[0]).toMatchObject({ cause: 'unknown', heal: { kind: 'none' } });
    // No record of when support became needs_support: no heal either.
    expect(compareCustomer({ ...held, supportSince: null }, { zendesk: { tickets: [solved] } }, opts)[0]).toMatchObject({ cause: 'unknown', heal: { kind: 'none' } });
    // A job still in flight: nothing to compare yet.
    expect(compareCustomer({ ...held, ticketInFlight: true }, { zendesk: { tickets: [solved] } }, opts)).toEqual([]);
  });

  it('helpdesk: a ticket Zendesk no longer has counts as closed; no ticket because the job died → failed job, no automatic heal', () => {
    const me = local({ support: 'needs_support', tickets: [{ id: '4', status: 'open', statusAt: null }] });
    expect(compareCustomer(me, { zendesk: { tickets: [] } }, opts)[0]?.heal).toMatchObject({ kind: 'zendesk_event', tickets: [{ id: '4', status: 'deleted' }] });
    const dead = local({ support: 'needs_support', ticketJob: { id: 12, status: 'dead', at: new Date() } });
    const [e] = compareCustomer(dead, { zendesk: { tickets: [] } }, opts);
    expect(e).toMatchObject({ cause: 'failed_job', providerValue: 'no ticket', heal: { kind: 'none', hint: 'fix the cause, then: handoff jobs retry 12' } });
    expect(compareCustomer(local({ support: 'needs_support', ticketInFlight: true }), { zendesk: { tickets: [] } }, opts)).toEqual([]);
  });
});
