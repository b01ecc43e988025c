import { describe, expect, it } from 'vitest';
import { BACKFILL_TABLE, synthesize, subscriptionStatusSince } from '../../src/backfill/index.js';
import { fromStripe } from '../../src/events/index.js';
import { STATE_TABLE } from '../../src/lifecycle/index.js';
import { loadFixtureEvent } from '../support/stripe-fixtures.js';
import { stripeCustomer, stripeInvoice, stripeSubscription } from '../stripe-api/objects.js';

/** Stripe object → synthetic event → DomainEvent: pure, deterministic, and mapped exactly like a webhook. */
const T = 1_767_225_600;
const DAY = 86_400;

function made(kind: Parameters<typeof synthesize>[0], o: Record<string, unknown>) {
  const s = synthesize(kind, o);
  if ('skipped' in s) throw new Error(`skipped: ${s.skipped}`);
  return s;
}

describe('synthetic backfill events', () => {
  it('from the objects inside REAL deliveries: the same domain event a webhook made, never newer than the delivery', () => {
    for (const name of ['subscription_created', 'subscription_updated', 'subscription_deleted', 'invoice_paid']) {
      const real = loadFixtureEvent(name);
      const kind = name.startsWith('invoice') ? 'invoices' : 'subscriptions';
      const s = made(kind, structuredClone(real.data.object));
      const webhook = fromStripe(real);
      expect(s.domain.kind, name).toBe(webhook.kind);
      expect(s.domain.identities, name).toEqual(webhook.identities);
      expect(s.domain.facts, name).toEqual(webhook.facts);
      expect(s.domain.source).toBe('stripe');
      // The watermark is a lower bound of the real change: the real event is never stale against it.
      expect(s.event.created, name).toBeLessThanOrEqual(real.created);
      if (webhook.watermark) expect(s.domain.watermark?.keys, name).toEqual(webhook.watermark.keys);
    }
  });

  it('ids are deterministic and change exactly when the state does', () => {
    const sub = stripeSubscription({ id: 'sub_1', customer: 'cus_1', status: 'active', created: T });
    const a = made('subscriptions', sub);
    const b = made('subscriptions', structuredClone(sub));
    expect(a.event.id).toBe(b.event.id);
    expect(a.event.id).toBe(`backfill:sub_1:active:${T}`);
    expect(made('subscriptions', { ...sub, status: 'past_due' }).event.id).toBe(`backfill:sub_1:past_due:${T}`);

    const cus = stripeCustomer({ id: 'cus_1', email: 'Ann@Example.com', created: T });
    const c1 = made('customers', cus);
    expect(made('customers', stripeCustomer({ id: 'cus_1', email: 'ann@example.com', created: T })).event.id).toBe(c1.event.id);
    expect(made('customers', stripeCustomer({ id: 'cus_1', email: 'bob@example.com', created: T })).event.id).not.toBe(c1.event.id);
    expect(c1.event.id).not.toContain('example.com'); // the address is hashed into the id, not spelled out
    expect(c1.domain).toMatchObject({ kind: null, identities: { stripe_customer: 'cus_1', email: 'ann@example.com' } });
  });

  it('the watermark is the object\'s own time for its current status', () => {
    const base = { id: 'sub_1', customer: 'cus_1', created: T };
    expect(subscriptionStatusSince(stripeSubscription({ ...base, status: 'trialing', trialEnd: T + 14 * DAY }))).toBe(T);
    expect(subscriptionStatusSince(stripeSubscription({ ...base, status: 'active', trialEnd: T + 14 * DAY }))).toBe(T + 14 * DAY);
    expect(subscriptionStatusSince(stripeSubscription({ ...base, status: 'past_due', periodStart: T + 60 * DAY }))).toBe(T + 60 * DAY);
    expect(subscriptionStatusSince(stripeSubscription({ ...base, status: 'canceled', endedAt: T + 90 * DAY }))).toBe(T + 90 * DAY);
    // Pre-basil: current_period_start on the subscription itself.
    const legacy = { ...stripeSubscription({ ...base, status: 'active' }), items: { data: [] }, current_period_start: T + 30 * DAY };
    expect(subscriptionStatusSince(legacy)).toBe(T + 30 * DAY);
    const canceled = made('subscriptions', stripeSubscription({ ...base, status: 'canceled', endedAt: T + 90 * DAY }));
    expect(canceled.event.type).toBe('customer.subscription.deleted');
    expect(canceled.domain).toMatchObject({ kind: 'subscription.canceled', watermark: { created: T + 90 * DAY, keys: ['stripe:sub:sub_1', 'stripe:cus:cus_1'] } });
  });

  it('invoices: paid → invoice.paid at paid_at, attempted open → invoice.payment_failed, both API shapes; the rest is skipped', () => {
    const paid = made('invoices', stripeInvoice({ id: 'in_1', customer: 'cus_1', subscription: 'sub_1', status: 'paid', created: T, paidAt: T + 500 }));
    expect(paid.event).toMatchObject({ id: `backfill:in_1:paid:${T + 500}`, type: 'invoice.paid', created: T + 500 });
    expect(paid.domain).toMatchObject({ kind: 'payment.succeeded', watermark: { keys: ['stripe:sub:sub_1', 'stripe:cus:cus_1'] } });
    const legacy = made('invoices', stripeInvoice({ id: 'in_2', customer: 'cus_1', subscription: 'sub_1', status: 'open', attempts: 2, created: T, shape: 'legacy' }));
    expect(legacy.event.type).toBe('invoice.payment_failed');
    expect(legacy.domain).toMatchObject({ kind: 'payment.failed', facts: { subscription_id: 'sub_1', attempt_count: 2 } });
    for (const status of ['draft', 'void', 'uncollectible'] as const) {
      expect(synthesize('invoices', stripeInvoice({ id: 'in_3', customer: 'cus_1', status, created: T }))).toHaveProperty('skipped');
    }
    expect(synthesize('invoices', stripeInvoice({ id: 'in_4', customer: 'cus_1', status: 'open', created: T }))).toEqual({ skipped: 'invoice open (not attempted yet) tells nothing about the lifecycle' });
  });

  it('an expanded customer brings its email into the subscription\'s identities', () => {
    const sub = { ...stripeSubscription({ id: 'sub_1', customer: 'cus_1', status: 'active', created: T }), customer: stripeCustomer({ id: 'cus_1', email: 'ann@example.com', created: T }) };
    expect(made('subscriptions', sub).domain.identities).toEqual({ stripe_customer: 'cus_1', email: 'ann@example.com' });
  });

  it('BACKFILL_TABLE is STATE_TABLE without effects: same rules, same order, same transitions', () => {
    expect(BACKFILL_TABLE.map((r) => ({ ...r, effects: [] }))).toEqual(STATE_TABLE.map((r) => ({ ...r, effects: [] })));
    expect(BACKFILL_TABLE.every((r) => r.effects.length === 0)).toBe(true);
  });
});

describe('--since', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  it('takes a date, a date-time or a span back from now', async () => {
    const { parseSince } = await import('../../src/backfill/index.js');
    expect(parseSince(undefined, now)).toBeUndefined();
    expect(parseSince('2026-09-01', now)?.toISOString()).toBe('2026-09-01T00:00:00.000Z');
    expect(parseSince('2026-09-01T08:30:00+02:00', now)?.toISOString()).toBe('2026-09-01T06:30:00.000Z');
    expect(parseSince('30d', now)?.toISOString()).toBe('2026-10-28T12:00:00.000Z');
    expect(parseSince('2w', now)?.toISOString()).toBe('2026-11-13T12:00:00.000Z');
    expect(parseSince('12h', now)?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });
  it('refuses nonsense, the future and the time before Stripe', async () => {
    const { parseSince } = await import('../../src/backfill/index.js');
    expect(() => parseSince('last tuesday', now)).toThrow(/since must be a date/);
    expect(() => parseSince('2026-02-31', now)).toThrow(/not a real date/);
    expect(() => parseSince('2026-13-01', now)).toThrow(/not a real date/);
    expect(() => parseSince('2027-01-01', now)).toThrow(/in the future/);
    expect(() => parseSince('2009-12-31', now)).toThrow(/before 2010/);
  });
});
