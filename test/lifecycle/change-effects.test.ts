import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/types.js';
import { CUSTOMER_UPDATED, outboundChange } from '../../src/lifecycle/index.js';

const event: DomainEvent = {
  source: 'stripe',
  eventId: 'evt_42',
  sourceType: 'invoice.payment_failed',
  kind: 'payment.failed',
  occurredAt: new Date('2026-01-02T03:04:05Z'),
  identities: { stripe_customer: 'cus_1' },
  facts: { amount_due: 4900 },
};
const customer = { id: 'c_1', email: 'ada@example.com' };

describe('outboundChange (pure)', () => {
  it('a lifecycle change → one webhook deliver job keyed by the cause, carrying from/to, rule and cause', () => {
    const job = outboundChange({ event, customer, before: { lifecycle: 'paid', support: 'none' }, after: { lifecycle: 'past_due', support: 'none' }, rule: 'payment_failed', merged: [] });
    expect(job).toEqual({
      connector: 'webhook',
      kind: 'deliver',
      idempotencyKey: 'webhook:stripe:evt_42',
      payload: {
        type: CUSTOMER_UPDATED,
        timestamp: '2026-01-02T03:04:05.000Z',
        data: {
          customer_id: 'c_1',
          email: 'ada@example.com',
          lifecycle: { from: 'paid', to: 'past_due' },
          support: { from: 'none', to: 'none' },
          rule: 'payment_failed',
          cause: { source: 'stripe', event_id: 'evt_42', type: 'invoice.payment_failed' },
          occurred_at: '2026-01-02T03:04:05.000Z',
        },
      },
    });
  });

  it('a support change alone is a change', () => {
    const job = outboundChange({ event, customer, before: { lifecycle: 'paid', support: 'none' }, after: { lifecycle: 'paid', support: 'needs_support' }, rule: 'support_needed', merged: [] });
    expect(job?.payload.data).toMatchObject({ lifecycle: { from: 'paid', to: 'paid' }, support: { from: 'none', to: 'needs_support' } });
  });

  it('no change and no merge → nothing to send', () => {
    expect(outboundChange({ event, customer, before: { lifecycle: 'paid', support: 'none' }, after: { lifecycle: 'paid', support: 'none' }, rule: 'renewal', merged: [] })).toBeUndefined();
  });

  it('a customer first seen in this event has from: null', () => {
    const job = outboundChange({ event, customer, before: null, after: { lifecycle: 'lead', support: 'none' }, rule: 'signup', merged: [] });
    expect(job?.payload.data).toMatchObject({ lifecycle: { from: null, to: 'lead' }, support: { from: null, to: 'none' } });
  });

  it('a merge without a state change is still sent, naming the merged records', () => {
    const job = outboundChange({ event, customer, before: { lifecycle: 'trial', support: 'none' }, after: { lifecycle: 'trial', support: 'none' }, rule: null, merged: ['c_2'] });
    expect(job?.payload.data).toMatchObject({ merged_customer_ids: ['c_2'], rule: null });
  });
});
