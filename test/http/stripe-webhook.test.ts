import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { fixtureEventNames, loadFixtureEvent, stripeEvent } from '../support/stripe-fixtures.js';
import { STRIPE_SECRET, signStripe, startTestApp, stripeRequest, writeCounts, type TestApp } from '../support/app.js';

const ROTATED = 'whsec_test_rotated_secret_9876543210';

describe.each(DB_KINDS)('POST /api/webhooks/stripe on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t, { env: { STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${ROTATED}` } });
  });
  afterAll(async () => {
    await rt.close();
  });

  it('accepts every real Stripe delivery in the fixtures (all API versions) with 200, never 5xx', async () => {
    for (const name of fixtureEventNames()) {
      const evt = loadFixtureEvent(name);
      evt.id = `${evt.id}_${name}`; // several fixtures share an id; keep them distinct here
      const res = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
      expect(res.status, name).toBe(200);
      expect(await res.json()).toEqual({ received: true, duplicate: false });
    }
    const { inbox } = await writeCounts(rt);
    expect(inbox).toBe(fixtureEventNames().length);
  });

  it('answers a redelivery with duplicate: true and changes nothing', async () => {
    const evt = stripeEvent('customer.subscription.created', 'subscription', { customer: 'cus_dup', status: 'active' });
    const first = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    expect(await first.json()).toEqual({ received: true, duplicate: false });
    const before = await writeCounts(rt);
    const again = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await writeCounts(rt)).toEqual(before);
  });

  it('accepts a signature made with the second secret during rotation', async () => {
    const evt = stripeEvent('invoice.paid', 'invoice', { customer: 'cus_rot', amount_paid: 1200 });
    const res = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt, { secret: ROTATED }));
    expect(res.status).toBe(200);
  });

  const evt = () => stripeEvent('invoice.payment_failed', 'invoice', { customer: 'cus_bad', customer_email: 'bad@example.com' });
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['no signature header', () => ({ body: JSON.stringify(evt()), headers: {} })],
    ['a malformed header', () => ({ body: JSON.stringify(evt()), headers: { 'stripe-signature': 'garbage' } })],
    ['a wrong secret', () => {
      const body = JSON.stringify(evt());
      return { body, headers: { 'stripe-signature': signStripe(body, { secret: 'whsec_someone_else' }) } };
    }],
    ['a stale timestamp (400 s old)', () => {
      const body = JSON.stringify(evt());
      return { body, headers: { 'stripe-signature': signStripe(body, { timestamp: now() - 400 }) } };
    }],
    ['a body changed after signing', () => {
      const body = JSON.stringify(evt());
      return { body: body.replace('bad@example.com', 'evil@example.com'), headers: { 'stripe-signature': signStripe(body) } };
    }],
  ])('rejects %s with 400 and writes nothing', async (_name, make) => {
    const { body, headers } = make();
    const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; message: string };
    expect(json.error).toBe('invalid_signature');
    expect(await writeCounts(rt)).toEqual({ inbox: 0, customers: 0, jobs: 0 });
  });

  it('rejects a correctly signed body that is not JSON with 400', async () => {
    const body = 'not json{';
    const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'stripe-signature': signStripe(body) } });
    expect(res.status).toBe(400);
    expect(await writeCounts(rt)).toEqual({ inbox: 0, customers: 0, jobs: 0 });
  });

  it('rejects a signed event without id/type with 400', async () => {
    const body = JSON.stringify({ object: 'event', data: {} });
    const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'stripe-signature': signStripe(body) } });
    expect(res.status).toBe(400);
  });

  it('answers other methods with 405', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await rt.app.request('/api/webhooks/stripe', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('refuses a body over the limit with 413 before verifying', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
    const res = await rt.app.request('/api/webhooks/stripe', {
      method: 'POST',
      body,
      headers: { 'stripe-signature': signStripe(body), 'content-length': String(body.length) },
    });
    expect(res.status).toBe(413);
    expect(await writeCounts(rt)).toEqual({ inbox: 0, customers: 0, jobs: 0 });
  });

  it('never logs the signature, the secret or the body', async () => {
    const evt = stripeEvent('invoice.payment_failed', 'invoice', { customer: 'cus_log', customer_email: 'private-person@example.com' });
    const req = stripeRequest(evt);
    const sig = (req.headers as Record<string, string>)['stripe-signature']!;
    await rt.app.request('/api/webhooks/stripe', req);
    await rt.app.request('/api/webhooks/stripe', { method: 'POST', body: '{}', headers: { 'stripe-signature': sig } });
    const log = rt.logLines.join('');
    expect(log).toContain(evt.id); // event ids are logged instead of payloads
    expect(log).not.toContain(sig.split('v1=')[1]!);
    expect(log).not.toContain(STRIPE_SECRET);
    expect(log).not.toContain('private-person@example.com');
  });
});
