import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { adminHeaders, appEventRequest, clerkRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { stripeEvent } from '../support/stripe-fixtures.js';

/** Authenticated senders can still send garbage: every such body gets a clear 4xx, never a 5xx. */
describe.each(DB_KINDS)('hostile but authenticated input on %s', (kind) => {
  const t = useTestDb(kind);
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
  });
  afterAll(async () => {
    await rt.close();
  });

  const appCases: Array<[string, unknown]> = [
    ['a NUL character in a string', { id: 'nul', type: 'user.signed_up', customer: { email: 'a@b.co', name: 'x\u0000y' } }],
    ['a NUL character in data', { id: 'nul2', type: 'user.signed_up', customer: { email: 'a@b.co' }, data: { note: 'x\u0000y' } }],
    ['a lone surrogate', { id: 'sur', type: 'user.signed_up', customer: { email: 'a@b.co', name: 'x\ud800y' } }],
    ['a date out of range', { id: 'date', type: 'user.signed_up', occurred_at: '+275760-09-13T00:00:00.001Z', customer: { email: 'a@b.co' } }],
    ['year 0', { id: 'y0', type: 'user.signed_up', occurred_at: '0000-01-01T00:00:00Z', customer: { email: 'a@b.co' } }],
    ['year 10000 after the offset', { id: 'y10k', type: 'user.signed_up', occurred_at: '9999-12-31T23:59:59-05:00', customer: { email: 'a@b.co' } }],
    ['an array body', [1, 2, 3]],
    ['a null body', null],
    ['a huge id', { id: 'x'.repeat(5000), type: 'user.signed_up', customer: { email: 'a@b.co' } }],
  ];
  it.each(appCases)('app event with %s → 4xx', async (_name, body) => {
    const res = await rt.app.request('/api/events', appEventRequest(body));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['created far in the future', { created: 1e15 }],
    ['created negative', { created: -5 }],
    ['created in the year 200000', { created: 6_000_000_000_000 }],
    ['a NUL in a field', { data: { object: { id: 'in_nul', object: 'invoice', customer: 'cus_\u0000x', customer_email: 'n@x.co', amount_due: 5 } } }],
  ])('signed Stripe event with %s → 4xx or a harmless 200, never 5xx', async (_name, patch) => {
    const evt = { ...stripeEvent('invoice.payment_failed', 'invoice', { customer: 'cus_h', subscription: null, parent: null }), ...patch };
    const res = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    expect(res.status).toBeLessThan(500);
  });

  it('signed Clerk event with a NUL → 4xx or 200, never 5xx', async () => {
    const res = await rt.app.request(
      '/api/webhooks/clerk',
      clerkRequest({ type: 'user.created', data: { id: 'user_\u0000', primary_email_address_id: 'e', email_addresses: [{ id: 'e', email_address: 'c@d.co' }] } }),
    );
    expect(res.status).toBeLessThan(500);
  });

  it('a NUL in the customer lookup path → 400, not 500', async () => {
    const res = await rt.app.request('/api/customers/a%00b', { headers: adminHeaders });
    expect(res.status).toBe(400);
  });

  it('refused bodies left no rows behind; accepted ones finished their transaction', async () => {
    const { rows } = await t.db.query<{ event_id: string; outcome: string }>('SELECT event_id, outcome FROM inbox_events');
    expect(rows.filter((r) => r.outcome === 'received')).toEqual([]);
    expect(rows.map((r) => r.event_id)).not.toContain('nul');
    expect(rows.map((r) => r.event_id)).not.toContain('sur');
  });
});
