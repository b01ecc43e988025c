import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startResendEmulator, startWebhookReceiver, type ResendEmulator, type WebhookReceiver } from '../emulators/index.js';
import { appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED, stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, settled, waitUntil } from '../support/wait.js';

/** 2026-01-08T00:00:00Z, a Thursday: Stripe's next retry / the trial's end in these events. */
const NEXT_WEEK = DEFAULT_CREATED + 7 * 86_400;
const FROM = 'Acme <billing@acme.test>';

describe.each(DB_KINDS)('customer emails and signed outbound webhooks end to end on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let resend: ResendEmulator;
  let rx: WebhookReceiver;
  let rt: TestApp | undefined;
  const env = (extra: Record<string, string | undefined> = {}) => ({
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resend.url,
    EMAIL_FROM: FROM,
    OUTBOUND_WEBHOOK_URL: rx.url,
    OUTBOUND_WEBHOOK_SECRET: rx.secret,
    ...extra,
  });
  const stripe = async (evt: unknown) => expect((await rt!.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
  const app = async (body: unknown) => expect((await rt!.app.request('/api/events', appEventRequest(body))).status).toBe(200);
  const customerId = async (email: string) =>
    (await t.db.query<{ id: string }>('SELECT id FROM customers WHERE email = $1 AND merged_into IS NULL', [email])).rows[0]!.id;

  beforeEach(async () => {
    resend = await startResendEmulator();
    rx = await startWebhookReceiver();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await resend.close();
    await rx.close();
  });

  const failed = (n: string, overrides: Record<string, unknown> = {}) =>
    stripeEvent('invoice.payment_failed', 'invoice', {
      id: `in_${n}`,
      customer: `cus_${n}`,
      customer_email: `${n}@example.com`,
      customer_name: 'Dana Dunning',
      amount_due: 4900,
      currency: 'usd',
      attempt_count: 1,
      next_payment_attempt: NEXT_WEEK,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${n}`,
      subscription: null,
      parent: null,
      ...overrides,
    });

  it('a failed payment delivered 10 times sends exactly one dunning email, with the retry date and the invoice link', async () => {
    rt = await startTestApp(t, { worker: true, env: env() });
    const evt = failed('dunning');
    await Promise.all(Array.from({ length: 10 }, () => stripe(evt)));
    const done = await settled(t.db);
    expect(done.filter((j) => j.connector === 'email')).toEqual([
      expect.objectContaining({ idempotency_key: `email_payment_failed:stripe:${evt.id}`, status: 'done', attempts: 1 }),
    ]);
    expect(resend.emails).toHaveLength(1);
    const mail = resend.emails[0]!;
    expect(mail).toMatchObject({ from: FROM, to: ['dunning@example.com'], subject: "We couldn't take your payment of $49.00", idempotencyKey: `email_payment_failed:stripe:${evt.id}` });
    expect(mail.text).toContain('Hi Dana,');
    expect(mail.text).toContain("We'll try again automatically on Thursday, 8 January 2026.");
    expect(mail.text).toContain('https://invoice.stripe.com/i/acct_test/dunning');
    // The timeline says it was sent (subject only); the log never carries the body.
    const notes = await t.db.query<{ detail: { note?: string } }>(`SELECT detail FROM timeline WHERE kind = 'effect'`);
    expect(notes.rows.map((r) => r.detail.note)).toContain(`Email "We couldn't take your payment of $49.00" sent`);
    expect(rt.logLines.join('')).not.toContain('invoice.stripe.com/i/acct_test/dunning');
  });

  it("Resend's answer lost to a timeout: the retry reuses the Idempotency-Key and the customer still gets one email", async () => {
    resend.faults.push({ kind: 'delay', ms: 600 }); // processed, but after the client gave up
    rt = await startTestApp(t, { worker: true, env: env({ HTTP_TIMEOUT_MS: '300' }) });
    const evt = failed('lost');
    await stripe(evt);
    const mail = (await settled(t.db)).find((j) => j.connector === 'email')!;
    expect(mail).toMatchObject({ status: 'done', attempts: 2 });
    await waitUntil(async () => resend.requests.length >= 2, 5000, 'the retry');
    await new Promise((r) => setTimeout(r, 500)); // let the delayed first request be processed too
    expect(resend.requests.map((r) => r.headers['idempotency-key'])).toEqual([`email_payment_failed:stripe:${evt.id}`, `email_payment_failed:stripe:${evt.id}`]);
    expect(resend.emails).toHaveLength(1);
    expect(mail.result).toEqual({ email_id: resend.emails[0]!.id, template: 'payment_failed' });
  });

  it('paid before the job runs: the dunning email is skipped with the reason and Resend gets nothing', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    await stripe(failed('paid-since'));
    await stripe(stripeEvent('invoice.paid', 'invoice', { customer: 'cus_paid-since', amount_paid: 4900, subscription: null, parent: null }, { created: DEFAULT_CREATED + 100 }));
    await rt.close();
    rt = await startTestApp(t, { worker: true, env: env() });
    const mail = (await settled(t.db)).find((j) => j.connector === 'email')!;
    expect(mail.status).toBe('skipped');
    expect(mail.result).toEqual({ skipped: 'customer is paid now (effect needs past_due)' });
    expect(resend.requests).toHaveLength(0);
    expect(resend.emails).toHaveLength(0);
  });

  const trialEvents = (n: string) => ({
    checkout: stripeEvent('checkout.session.completed', 'checkout.session', {
      customer: `cus_${n}`,
      subscription: `sub_${n}`,
      mode: 'subscription',
      payment_status: 'no_payment_required',
      customer_details: { email: `${n}@example.com`, name: 'Tess Trial' },
    }),
    trialing: stripeEvent('customer.subscription.created', 'subscription', { id: `sub_${n}`, customer: `cus_${n}`, status: 'trialing', trial_end: NEXT_WEEK }),
    willEnd: stripeEvent(
      'customer.subscription.trial_will_end',
      'subscription',
      { id: `sub_${n}`, customer: `cus_${n}`, status: 'trialing', trial_end: NEXT_WEEK },
      { created: DEFAULT_CREATED + 50 },
    ),
    active: stripeEvent('customer.subscription.updated', 'subscription', { id: `sub_${n}`, customer: `cus_${n}`, status: 'active', trial_end: NEXT_WEEK }, { created: DEFAULT_CREATED + 100 }),
  });

  it('trial_will_end for a customer still on trial sends one "trial ending" email', async () => {
    rt = await startTestApp(t, { worker: true, env: env() });
    const e = trialEvents('trialing');
    for (const evt of [e.checkout, e.trialing, e.willEnd, e.willEnd]) await stripe(evt);
    const mail = (await settled(t.db)).filter((j) => j.connector === 'email');
    expect(mail.map((j) => [j.idempotency_key, j.status])).toEqual([[`email_trial_ending:stripe:${e.willEnd.id}`, 'done']]);
    expect(resend.emails).toHaveLength(1);
    expect(resend.emails[0]).toMatchObject({ to: ['trialing@example.com'], subject: 'Your trial ends on Thursday, 8 January 2026' });
    expect(resend.emails[0]!.text).toContain('Hi Tess,');
  });

  it('trial_will_end for a customer who converted before the job ran is skipped with the reason', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    const e = trialEvents('converted');
    for (const evt of [e.checkout, e.trialing, e.willEnd, e.active]) await stripe(evt);
    await rt.close();
    rt = await startTestApp(t, { worker: true, env: env() });
    const mail = (await settled(t.db)).find((j) => j.connector === 'email')!;
    expect(mail).toMatchObject({ idempotency_key: `email_trial_ending:stripe:${e.willEnd.id}`, status: 'skipped', result: { skipped: 'customer is paid now (effect needs trial)' } });
    expect(resend.requests).toHaveLength(0);
  });

  it('every lifecycle/support change is POSTed once as a verified Standard Webhooks message, stable across a 503 retry', async () => {
    rx.faults.push({ status: 503 });
    rt = await startTestApp(t, { worker: true, env: env() });
    await app({ id: 'signup-1', type: 'user.signed_up', occurred_at: '2026-01-01T10:00:00Z', customer: { email: 'wes@example.com', user_id: 'u_wes', name: 'Wes' } });
    await app({ id: 'activated-1', type: 'user.activated', customer: { user_id: 'u_wes' } }); // no state change: no message
    await app({ id: 'help-1', type: 'support.escalation_requested', occurred_at: '2026-01-02T10:00:00Z', customer: { user_id: 'u_wes' }, data: { subject: 'Help' } });
    const done = await settled(t.db);
    const hooks = done.filter((j) => j.connector === 'webhook');
    expect(hooks.map((j) => [j.idempotency_key, j.status])).toEqual([
      ['webhook:app:signup-1', 'done'],
      ['webhook:app:help-1', 'done'],
    ]);
    expect(hooks[0]!.attempts).toBe(2); // 503, then delivered

    // The 503'd attempt and its retry: same webhook-id, same bytes, both correctly signed.
    const signup = rx.requests.filter((r) => r.headers['webhook-id'] === 'webhook:app:signup-1');
    expect(signup.map((r) => r.fault)).toEqual(['503', undefined]);
    expect(JSON.stringify(signup[1]!.body)).toBe(JSON.stringify(signup[0]!.body));
    const verifier = new Webhook(rx.secret);
    for (const r of signup) {
      const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
      expect(verifier.verify(JSON.stringify(r.body), headers)).toEqual(signup[0]!.body);
    }

    expect(rx.rejected).toEqual([]);
    const id = await customerId('wes@example.com');
    // Arrival order is not change order (the first message waited for its retry): receivers sort by occurred_at.
    const delivered = [...rx.delivered].sort((x, y) => x.occurredAt.localeCompare(y.occurredAt));
    expect(delivered.map((m) => [m.id, m.type, m.occurredAt])).toEqual([
      ['webhook:app:signup-1', 'customer.updated', '2026-01-01T10:00:00.000Z'],
      ['webhook:app:help-1', 'customer.updated', '2026-01-02T10:00:00.000Z'],
    ]);
    expect(delivered[0]!.data).toEqual({
      customer_id: id,
      email: 'wes@example.com',
      lifecycle: { from: null, to: 'lead' },
      support: { from: null, to: 'none' },
      rule: 'signup',
      cause: { source: 'app', event_id: 'signup-1', type: 'user.signed_up' },
      occurred_at: '2026-01-01T10:00:00.000Z',
    });
    expect(delivered[1]!.data).toMatchObject({ lifecycle: { from: 'lead', to: 'lead' }, support: { from: 'none', to: 'needs_support' }, rule: 'support_needed' });
  });

  it('a merge is announced with the merged record ids', async () => {
    rt = await startTestApp(t, { worker: true, env: env() });
    await app({ id: 'm-signup', type: 'user.signed_up', customer: { email: 'merge@example.com' } });
    await stripe(stripeEvent('customer.subscription.created', 'subscription', { id: 'sub_merge', customer: 'cus_merge', status: 'trialing' }));
    const [a, b] = (await t.db.query<{ id: string }>('SELECT id FROM customers ORDER BY created_at')).rows.map((r) => r.id);
    const evt = failed('merge', { created: DEFAULT_CREATED + 100 });
    await stripe(evt); // carries cus_merge AND merge@example.com: the two records are one person
    await settled(t.db);
    const msg = rx.delivered.find((m) => m.id === `webhook:stripe:${evt.id}`)!;
    expect(msg.data).toMatchObject({ customer_id: a, email: 'merge@example.com', lifecycle: { from: 'lead', to: 'past_due' }, rule: 'payment_failed', merged_customer_ids: [b] });
    expect(resend.sentTo('merge@example.com')).toHaveLength(1); // the merged customer's dunning email
  });

  it('410 from the endpoint raises the connector halt (gone, OUTBOUND_WEBHOOK_URL) instead of delivering', async () => {
    rx.faults.push({ status: 410 });
    rt = await startTestApp(t, { worker: true, env: env() });
    await app({ id: 'gone-1', type: 'user.signed_up', customer: { email: 'gone@example.com' } });
    const job = await waitUntil(async () => (await jobs(t.db)).find((j) => j.connector === 'webhook' && /410/.test(j.last_error ?? '')), 10_000, 'the 410 to be recorded');
    expect(job.status).not.toBe('done');
    expect(job.last_error).toContain('OUTBOUND_WEBHOOK_URL');
    expect(rx.delivered).toHaveLength(0);
  });

  it('without OUTBOUND_WEBHOOK_* no outbound job is queued at all; without Resend the email is recorded as skipped', async () => {
    rt = await startTestApp(t, { worker: true, env: { ...env(), OUTBOUND_WEBHOOK_URL: undefined, OUTBOUND_WEBHOOK_SECRET: undefined, RESEND_API_KEY: undefined, EMAIL_FROM: undefined } });
    await app({ id: 'plain-1', type: 'user.signed_up', customer: { email: 'plain@example.com' } });
    await stripe(failed('plain'));
    const done = await settled(t.db);
    expect(done.filter((j) => j.connector === 'webhook')).toEqual([]);
    expect(done.find((j) => j.connector === 'email')).toMatchObject({ status: 'skipped', result: { skipped: 'connector email is not configured' } });
    expect(rx.requests).toHaveLength(0);
    expect(resend.requests).toHaveLength(0);
  });
});
