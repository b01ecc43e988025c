import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { fromStripe, type DomainEvent } from '../../src/events/index.js';
import { fixtureEventNames, loadFixtureEvent, stripeEvent } from '../support/stripe-fixtures.js';

function expectFlatFacts(e: DomainEvent) {
  for (const [k, v] of Object.entries(e.facts)) {
    expect(v === null || ['string', 'number', 'boolean'].includes(typeof v), `fact ${k} is ${JSON.stringify(v)}`).toBe(true);
  }
}

describe('fromStripe: real deliveries (shared/fixtures/stripe/events)', () => {
  const names = fixtureEventNames();

  it('finds the fixtures beside the repo', () => {
    expect(names).toContain('invoice_paid');
    expect(names.length).toBeGreaterThanOrEqual(15);
  });

  it.each(names)('%s maps without throwing, with flat facts and the event time', (name) => {
    const raw = loadFixtureEvent(name);
    const e = fromStripe(raw);
    expect(e.source).toBe('stripe');
    expect(e.eventId).toBe(raw.id);
    expect(e.sourceType).toBe(raw.type);
    expect(e.occurredAt.getTime()).toBe(raw.created * 1000);
    if (e.kind === null) expect(e.ignoredReason).toMatch(/\S/);
    if (e.watermark) {
      expect(e.kind).not.toBeNull();
      expect(e.watermark.created).toBe(raw.created);
      expect(e.watermark.keys.length).toBeGreaterThan(0);
    }
    expectFlatFacts(e);
  });

  it('checkout.session.completed (paid, one-time) → subscription.active keyed on the customer only', () => {
    const e = fromStripe(loadFixtureEvent('checkout_session_completed'));
    expect(e.kind).toBe('subscription.active');
    expect(e.identities).toEqual({ email: 'billz@supabase.io', stripe_customer: 'cus_IhGfebO16cMIGN' });
    expect(e.name).toBe('Copple');
    expect(e.watermark).toEqual({ keys: ['stripe:cus:cus_IhGfebO16cMIGN'], created: 1619697430 });
    expect(e.facts).toMatchObject({ mode: 'payment', payment_status: 'paid', subscription_id: null });
  });

  it('subscription created/updated/deleted read the plan from an old (2020-03-02) subscription', () => {
    const created = fromStripe(loadFixtureEvent('subscription_created'));
    expect(created.kind).toBe('subscription.active');
    expect(created.facts).toEqual({
      subscription_id: 'sub_JdIzvfy6o5GZRd',
      status: 'active',
      plan: 'price_1IDQm5JDPojXS6LNM31hxKzp',
      trial_end: null,
      cancel_at_period_end: false,
    });
    expect(created.watermark?.keys).toEqual(['stripe:sub:sub_JdIzvfy6o5GZRd', 'stripe:cus:cus_IhGfebO16cMIGN']);
    expect(created.subscription).toEqual({ id: 'sub_JdIzvfy6o5GZRd', status: 'active' });
    expect(fromStripe(loadFixtureEvent('subscription_updated'))).toMatchObject({ kind: 'subscription.active', subscription: { id: 'sub_JLEPMp81LApOJl', status: 'active' } });
    expect(fromStripe(loadFixtureEvent('subscription_deleted'))).toMatchObject({ kind: 'subscription.canceled', subscription: { id: 'sub_JdIzvfy6o5GZRd', status: 'canceled' } });
    // Only subscription events report a subscription's status: an invoice names its subscription in facts only.
    expect(fromStripe(loadFixtureEvent('invoice_paid')).subscription).toBeUndefined();
  });

  it('an old-version $0 invoice.paid is ignored, but its subscription id is still read from top-level `subscription`', () => {
    const e = fromStripe(loadFixtureEvent('invoice_paid'));
    expect(e.kind).toBeNull();
    expect(e.ignoredReason).toMatch(/nothing was charged/);
    expect(e.watermark).toBeUndefined();
    expect(e.facts.subscription_id).toBe('sub_JsuPyCPhXWfZar');
    expect(e.identities.stripe_customer).toBe('cus_JsuO3bmrj0QlAw');
  });

  it('charge.refunded → full refund facts, no watermark', () => {
    const e = fromStripe(loadFixtureEvent('charge_refunded'));
    expect(e.kind).toBe('charge.refunded');
    expect(e.facts).toEqual({ charge_id: expect.stringMatching(/^ch_/), amount: 2500, amount_refunded: 2500, currency: 'usd', refunded: true });
    expect(e.identities).toEqual({ stripe_customer: 'cus_J7Mkgr8mvbl1eK' });
    expect(e.watermark).toBeUndefined();
  });

  it('types without a rule are ignored with a reason, keeping obvious identities', () => {
    const customer = fromStripe(loadFixtureEvent('customer_updated'));
    expect(customer.kind).toBeNull();
    expect(customer.ignoredReason).toBe('no rule for stripe event type customer.updated');
    expect(customer.identities).toEqual({ stripe_customer: 'cus_IhGfebO16cMIGN', email: 'billz@supabase.io' });
    expect(fromStripe(loadFixtureEvent('invoice_finalized')).identities).toEqual({
      stripe_customer: 'cus_J7Mkgr8mvbl1eK',
      email: 'tesst@example.com',
    });
    expect(fromStripe(loadFixtureEvent('invoice_payment_paid')).ignoredReason).toBe('no rule for stripe event type invoice_payment.paid');
  });
});

describe('fromStripe: invoices across API versions', () => {
  const basil = (type: string, o: Record<string, unknown>) =>
    stripeEvent(type, 'invoice', { customer: 'cus_new', subscription: undefined, parent: { subscription_details: { subscription: 'sub_new' } }, ...o });

  it('reads the subscription id from parent.subscription_details (basil and later)', () => {
    const raw = basil('invoice.paid', { amount_paid: 2000 });
    expect('subscription' in raw.data.object).toBe(false);
    const e = fromStripe(raw);
    expect(e.kind).toBe('payment.succeeded');
    expect(e.facts).toMatchObject({ subscription_id: 'sub_new', amount_paid: 2000, currency: 'usd' });
    expect(e.watermark).toEqual({ keys: ['stripe:sub:sub_new', 'stripe:cus:cus_new'], created: raw.created });
  });

  it('reads the subscription id from top-level `subscription` (pre-basil) and from an expanded object', () => {
    const old = stripeEvent('invoice.payment_succeeded', 'invoice', { parent: undefined, subscription: 'sub_old', amount_paid: 500 }, { api_version: '2020-03-02' });
    expect(fromStripe(old).facts.subscription_id).toBe('sub_old');
    const expanded = basil('invoice.paid', { amount_paid: 1, parent: { subscription_details: { subscription: { id: 'sub_exp', object: 'subscription' } } } });
    expect(fromStripe(expanded).facts.subscription_id).toBe('sub_exp');
  });

  it('invoice.payment_failed → payment.failed with retry facts', () => {
    const e = fromStripe(
      basil('invoice.payment_failed', {
        id: 'in_1',
        amount_due: 4900,
        attempt_count: 2,
        next_payment_attempt: 1767312000,
        hosted_invoice_url: 'https://invoice.stripe.com/i/x',
        customer_email: ' Payer@Example.COM ',
      }),
    );
    expect(e.kind).toBe('payment.failed');
    expect(e.identities).toEqual({ stripe_customer: 'cus_new', email: 'payer@example.com' });
    expect(e.facts).toMatchObject({
      invoice_id: 'in_1',
      subscription_id: 'sub_new',
      amount_due: 4900,
      currency: 'usd',
      attempt_count: 2,
      next_payment_attempt: '2026-01-02T00:00:00.000Z',
      hosted_invoice_url: 'https://invoice.stripe.com/i/x',
    });
    expectFlatFacts(e);
    const last = fromStripe(basil('invoice.payment_failed', { next_payment_attempt: null }));
    expect(last.facts.next_payment_attempt).toBeNull();
  });

  it('an invoice with no subscription is keyed on the customer only', () => {
    const e = fromStripe(stripeEvent('invoice.paid', 'invoice', { parent: null, subscription: null, amount_paid: 300, customer: 'cus_x' }));
    expect(e.watermark?.keys).toEqual(['stripe:cus:cus_x']);
  });
});

describe('fromStripe: subscription status table', () => {
  const sub = (type: string, status: string) =>
    fromStripe(stripeEvent(type, 'subscription', { id: 'sub_1', customer: 'cus_1', status, trial_end: 1767830400, cancel_at_period_end: false }));

  it.each([
    ['trialing', 'trial.started'],
    ['active', 'subscription.active'],
    ['past_due', 'subscription.past_due'],
    ['unpaid', 'subscription.past_due'],
    ['canceled', 'subscription.canceled'],
    ['incomplete_expired', 'subscription.canceled'],
  ] as const)('%s → %s (created and updated)', (status, kind) => {
    for (const type of ['customer.subscription.created', 'customer.subscription.updated']) {
      const e = sub(type, status);
      expect(e.kind).toBe(kind);
      expect(e.watermark?.keys).toEqual(['stripe:sub:sub_1', 'stripe:cus:cus_1']);
      expect(e.facts).toEqual({
        subscription_id: 'sub_1',
        status,
        plan: 'price_1PgafmB7WZ01zgkW6dKueIc5',
        trial_end: '2026-01-08T00:00:00.000Z',
        cancel_at_period_end: false,
      });
    }
  });

  it.each(['incomplete', 'paused', 'some_future_status'])('%s → ignored, and carries no watermark', (status) => {
    const e = sub('customer.subscription.updated', status);
    expect(e.kind).toBeNull();
    // Still the subscription's status: it is recorded, and is not live (reconcile's live statuses).
    expect(e.subscription).toEqual({ id: 'sub_1', status });
    expect(e.ignoredReason).toContain(status);
    expect(e.watermark).toBeUndefined();
    expect(e.identities).toEqual({ stripe_customer: 'cus_1' });
  });

  it('deleted → canceled whatever the status says', () => {
    expect(sub('customer.subscription.deleted', 'active')).toMatchObject({ kind: 'subscription.canceled', subscription: { id: 'sub_1', status: 'canceled' } });
    expect(sub('customer.subscription.deleted', 'incomplete').kind).toBe('subscription.canceled');
  });

  it('falls back to plan.id when items are absent; reads an expanded customer', () => {
    const e = fromStripe(
      stripeEvent('customer.subscription.updated', 'subscription', {
        items: undefined,
        plan: { id: 'plan_legacy' },
        customer: { id: 'cus_exp', object: 'customer', email: 'Exp@X.io' },
      }),
    );
    expect(e.facts.plan).toBe('plan_legacy');
    expect(e.identities).toEqual({ stripe_customer: 'cus_exp', email: 'exp@x.io' });
  });

  it('trial_will_end uses a key no lifecycle event uses', () => {
    const raw = stripeEvent('customer.subscription.trial_will_end', 'subscription', { id: 'sub_t', customer: 'cus_t', status: 'trialing', trial_end: 1767830400 });
    const e = fromStripe(raw);
    expect(e.kind).toBe('trial.will_end');
    expect(e.watermark).toEqual({ keys: ['stripe:trial_will_end:sub_t'], created: raw.created });
    expect(e.facts).toEqual({ subscription_id: 'sub_t', status: 'trialing', trial_end: '2026-01-08T00:00:00.000Z' });
    const others = [
      fromStripe(stripeEvent('customer.subscription.updated', 'subscription', { id: 'sub_t', customer: 'cus_t', status: 'active' })),
      fromStripe(stripeEvent('invoice.paid', 'invoice', { customer: 'cus_t', amount_paid: 10, parent: { subscription_details: { subscription: 'sub_t' } } })),
    ];
    for (const o of others) expect(o.watermark?.keys.some((k) => e.watermark!.keys.includes(k))).toBe(false);
  });
});

describe('fromStripe: checkout.session.completed', () => {
  const checkout = (o: Record<string, unknown>) => fromStripe(stripeEvent('checkout.session.completed', 'checkout.session', o));

  it('paid subscription checkout → subscription.active with every identity and both keys', () => {
    const e = checkout({
      payment_status: 'paid',
      mode: 'subscription',
      customer: { id: 'cus_c', object: 'customer' },
      subscription: 'sub_c',
      client_reference_id: 'app-user-7',
      customer_details: { email: 'Buyer@Example.com', name: 'Ann Buyer' },
    });
    expect(e.kind).toBe('subscription.active');
    expect(e.identities).toEqual({ email: 'buyer@example.com', stripe_customer: 'cus_c', app_user: 'app-user-7' });
    expect(e.name).toBe('Ann Buyer');
    expect(e.watermark?.keys).toEqual(['stripe:sub:sub_c', 'stripe:cus:cus_c']);
  });

  it.each(['unpaid', 'no_payment_required'])('%s → a signup (identities, no lifecycle move) without a watermark (it must not make the subscription events stale)', (ps) => {
    const e = checkout({ payment_status: ps, customer: 'cus_c', subscription: 'sub_c', customer_details: { email: null }, customer_email: 'Fallback@X.com' });
    expect(e.kind).toBe('user.signed_up');
    expect(e.ignoredReason).toBeUndefined();
    expect(e.watermark).toBeUndefined();
    expect(e.identities.email).toBe('fallback@x.com');
  });

  it('a guest checkout (no customer, no subscription) has no watermark at all', () => {
    const e = checkout({ payment_status: 'paid', customer: null, subscription: null });
    expect(e.kind).toBe('subscription.active');
    expect(e.watermark).toBeUndefined();
    expect(e.identities).toEqual({ email: 'example@example.com' });
  });
});

describe('fromStripe: robustness', () => {
  it.each([
    ['id', { id: undefined }],
    ['type', { type: '' }],
    ['created', { created: '1619701111' }],
    ['data.object', { data: {} }],
  ])('an envelope without %s is a BadRequestError naming it', (field, patch) => {
    const raw = { ...loadFixtureEvent('charge_succeeded'), ...patch };
    const err = (() => {
      try {
        fromStripe(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).details).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  });

  it('rejects a non-object', () => {
    expect(() => fromStripe('{"id":"evt_1"}')).toThrow(BadRequestError);
    expect(() => fromStripe(null)).toThrow(BadRequestError);
  });

  const garbage = { id: 7, customer: 42, subscription: ['x'], parent: [], items: 'x', plan: 'p', status: { a: 1 }, customer_details: 'x', billing_details: 5, amount_paid: '100', trial_end: 1e20, next_payment_attempt: 'soon' };
  it.each([
    'checkout.session.completed',
    'customer.subscription.created',
    'customer.subscription.deleted',
    'customer.subscription.trial_will_end',
    'invoice.paid',
    'invoice.payment_failed',
    'charge.refunded',
    'constructor',
    '__proto__',
  ])('%s with nonsense fields still maps, with flat facts', (type) => {
    const e = fromStripe({ id: 'evt_g', type, created: 1, data: { object: garbage } });
    expect(e.identities).toEqual({});
    expectFlatFacts(e);
    if (type === 'constructor' || type === '__proto__') expect(e.kind).toBeNull();
  });
});
