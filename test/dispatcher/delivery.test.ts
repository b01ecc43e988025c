import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { startHubspotEmulator, startSlackEmulator, type HubspotEmulator, type SlackEmulator } from '../emulators/index.js';
import { appEventRequest, signStripe, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, settled, waitUntil } from '../support/wait.js';

describe.each(DB_KINDS)('outbox delivery on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let hubspot: HubspotEmulator;
  let slack: SlackEmulator;
  let rt: TestApp;
  const env = (extra: Record<string, string> = {}) => ({
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    SLACK_WEBHOOK_URL: slack.url,
    ...extra,
  });

  beforeEach(async () => {
    hubspot = await startHubspotEmulator();
    slack = await startSlackEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    await hubspot.close();
    await slack.close();
  });

  const failed = (n: string, overrides: Record<string, unknown> = {}) =>
    stripeEvent('invoice.payment_failed', 'invoice', {
      id: `in_${n}`,
      customer: `cus_${n}`,
      customer_email: `${n}@example.com`,
      amount_due: 4900,
      currency: 'usd',
      subscription: null,
      parent: null,
      ...overrides,
    });

  it('50 concurrent replays of one webhook → one inbox row, one contact, one Slack alert', async () => {
    rt = await startTestApp(t, { worker: true, env: env() });
    const evt = failed('replay');
    const responses = await Promise.all(Array.from({ length: 50 }, () => rt.app.request('/api/webhooks/stripe', stripeRequest(evt))));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ duplicate: boolean }>;
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    const done = await settled(t.db);
    expect(done.map((j) => [j.connector, j.status])).toEqual([
      ['hubspot', 'done'],
      ['slack', 'done'],
      ['email', 'skipped'], // the dunning email: no email connector configured here
    ]);
    expect(hubspot.contacts.size).toBe(1);
    expect(hubspot.contacts.get('replay@example.com')?.properties.handoff_lifecycle).toBe('past_due');
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toContain('replay@example.com');
    // The CRM id comes back as an identity of the customer.
    const ids = await t.db.query<{ kind: string }>(`SELECT kind FROM identities WHERE kind = 'hubspot_contact'`);
    expect(ids.rows).toHaveLength(1);
  });

  it('invalid signatures → no writes and no provider calls', async () => {
    rt = await startTestApp(t, { worker: true, env: env() });
    const body = JSON.stringify(failed('forged'));
    for (const sig of [undefined, 'garbage', signStripe(body, { secret: 'whsec_attacker' })]) {
      const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: sig ? { 'stripe-signature': sig } : {} });
      expect(res.status).toBe(400);
    }
    await new Promise((r) => setTimeout(r, 300)); // give a (wrongly) woken dispatcher time to act
    expect(await jobs(t.db)).toEqual([]);
    expect(hubspot.requests).toHaveLength(0);
    expect(slack.requests).toHaveLength(0);
  });

  it('a provider answering 503 then 429 with Retry-After → delivered once after recovery', async () => {
    hubspot.faults.push({ status: 503 }, { status: 429, retryAfter: 1 });
    rt = await startTestApp(t, { worker: true, env: env() });
    const started = Date.now();
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('flaky')));
    const done = await settled(t.db);
    const crm = done.find((j) => j.connector === 'hubspot')!;
    expect(crm.status).toBe('done');
    expect(crm.attempts).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // Retry-After: 1 was honoured
    expect(hubspot.contacts.size).toBe(1);
    expect(hubspot.requests.filter((r) => r.fault).map((r) => r.fault)).toHaveLength(2);
  });

  it('a permanent 4xx is dead-lettered at once with its error, not retried', async () => {
    slack.faults.push({ status: 400 });
    rt = await startTestApp(t, { worker: true, env: env() });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('gone')));
    const done = await settled(t.db);
    const alert = done.find((j) => j.connector === 'slack')!;
    expect(alert.status).toBe('dead');
    expect(alert.attempts).toBe(1);
    expect(alert.last_error).toMatch(/permanent: .*400/);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.requests).toHaveLength(1);
  });

  it('a provider answer cut inside an emoji is still recorded, and blocks no other result', async () => {
    // Error text is truncated by length; an emoji at the cut leaves half a surrogate pair behind. Two
    // answers of opposite parity make sure one of them is cut inside an emoji wherever the cut falls.
    slack.faults.push({ status: 400, body: '😀'.repeat(300) }, { status: 400, body: `a${'😀'.repeat(300)}` });
    rt = await startTestApp(t, { worker: true, env: env() });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('emoji')));
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('fine')));
    const done = await settled(t.db);
    const alerts = done.filter((j) => j.connector === 'slack');
    expect(alerts.map((j) => [j.status, j.attempts])).toEqual([
      ['dead', 1],
      ['dead', 1],
    ]);
    for (const j of alerts) expect(j.last_error!.isWellFormed(), j.last_error!).toBe(true);
    // The CRM results in the same batches were recorded too, each delivered once.
    expect(done.filter((j) => j.connector === 'hubspot').map((j) => [j.status, j.attempts])).toEqual([
      ['done', 1],
      ['done', 1],
    ]);
    expect(slack.requests).toHaveLength(2);
  });

  it('gives up after JOB_MAX_ATTEMPTS with the last error kept', async () => {
    slack.faults.failFor(60_000, { status: 503 });
    rt = await startTestApp(t, { worker: true, env: env({ JOB_MAX_ATTEMPTS: '3' }) });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('down')));
    const alert = (await settled(t.db)).find((j) => j.connector === 'slack')!;
    expect(alert.status).toBe('dead');
    expect(alert.attempts).toBe(3);
    expect(alert.last_error).toMatch(/gave up after 3 attempts: .*503/);
  });

  it('re-checks state when the job runs: a payment-failed alert for a customer who paid since is skipped', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('paid-since'), {}));
    const paid = stripeEvent('invoice.paid', 'invoice', { customer: 'cus_paid-since', amount_paid: 4900, subscription: null, parent: null }, { created: 1_767_225_700 });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(paid));
    await rt.close();
    rt = await startTestApp(t, { worker: true, env: env() });
    const done = await settled(t.db);
    const alert = done.find((j) => j.idempotency_key.startsWith('slack_payment_failed'))!;
    expect(alert.status).toBe('skipped');
    expect(String(alert.result?.skipped)).toMatch(/customer is paid now/);
    expect(slack.messages.map((m) => m.text).join()).not.toMatch(/Payment failed/i);
  });

  it('a job whose worker died is claimed again once its lease expires', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('orphan')));
    // Simulate a worker that claimed everything and then died (kill -9): leased, never finished.
    await t.db.query(`UPDATE jobs SET status = 'running', locked_by = 'dead-worker', locked_until = now() + interval '1 second', attempts = 1 WHERE status = 'pending'`);
    await rt.close();
    rt = await startTestApp(t, { worker: true, env: env() });
    await new Promise((r) => setTimeout(r, 300));
    expect(hubspot.requests).toHaveLength(0); // still leased
    const done = await settled(t.db);
    const delivered = done.filter((j) => j.connector !== 'email'); // not configured here: skipped at once
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((j) => j.status === 'done' && j.attempts === 2)).toBe(true);
    expect(hubspot.contacts.size).toBe(1);
  });

  it('a job slower than its lease runs once: the heartbeat of its worker renews the lease', async () => {
    // Every HubSpot request answers 400 ms late; the job makes several, so it outlives the 1 s lease.
    for (let i = 0; i < 6; i++) hubspot.faults.push({ kind: 'delay', ms: 400 });
    const fast = { JOB_LEASE_MS: '1000', HTTP_TIMEOUT_MS: '900' };
    rt = await startTestApp(t, { worker: true, env: env(fast) });
    const other = await startTestApp(t, { worker: true, env: env(fast) }); // polls every 50 ms, ready to steal
    try {
      await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('slow')));
      const done = await settled(t.db);
      const crm = done.find((j) => j.connector === 'hubspot')!;
      expect(crm).toMatchObject({ status: 'done', attempts: 1 });
      expect(hubspot.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts')).toHaveLength(1);
      expect(hubspot.requests.filter((r) => r.fault === 'delay').length).toBeGreaterThanOrEqual(3);
    } finally {
      await other.close();
    }
  });

  it('an expired job that used all its attempts is dead-lettered, not claimed again', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('crashy')));
    await t.db.query(`UPDATE jobs SET status = 'running', locked_by = 'dead-worker', locked_until = now() - interval '1 second', attempts = max_attempts`);
    await rt.close();
    rt = await startTestApp(t, { worker: true, env: env() });
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'dead' && /worker stopped while running it/.test(j.last_error ?? ''))).toBe(true);
    expect(hubspot.requests).toHaveLength(0);
  });

  it.each([
    ['subscription first', ['sub', 'checkout']],
    ['checkout first', ['checkout', 'sub']],
  ])('a card-less Stripe trial reaches the CRM as a trial with its email (%s)', async (_name, order) => {
    rt = await startTestApp(t, { worker: true, env: env() });
    const events = {
      // Stripe sends these within the same second; only the checkout carries the email.
      sub: stripeEvent('customer.subscription.created', 'subscription', { id: 'sub_trial', customer: 'cus_trial', status: 'trialing' }),
      checkout: stripeEvent('checkout.session.completed', 'checkout.session', {
        customer: 'cus_trial',
        subscription: 'sub_trial',
        mode: 'subscription',
        payment_status: 'no_payment_required',
        customer_details: { email: 'Trial@Example.com', name: 'Tri Al' },
      }),
    };
    for (const k of order) expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(events[k as 'sub' | 'checkout']))).status).toBe(200);
    await settled(t.db);
    expect(hubspot.contacts.get('trial@example.com')?.properties).toMatchObject({ email: 'trial@example.com', handoff_lifecycle: 'trial' });
  });

  it('a CRM id returned while its customer was being merged lands on the surviving record', async () => {
    rt = await startTestApp(t, { worker: false, env: env() });
    const signup = (id: string, email: string, user: string) =>
      rt.app.request('/api/events', appEventRequest({ id, type: 'user.signed_up', customer: { email, user_id: user } }));
    await signup('a1', 'a@example.com', 'u1');
    await signup('b1', 'b@example.com', 'u2');
    const ids = (await t.db.query<{ id: string; email: string }>('SELECT id, email FROM customers ORDER BY created_at')).rows;
    const [A, B] = [ids[0]!.id, ids[1]!.id];
    await t.db.query(`UPDATE jobs SET status = 'done' WHERE customer_id = $1`, [A]); // only B's CRM job runs
    await rt.close();
    hubspot.faults.push({ kind: 'delay', ms: 1000, match: { method: 'PATCH' } });
    rt = await startTestApp(t, { worker: true, env: env() });
    await waitUntil(async () => hubspot.requests.some((r) => r.fault === 'delay'), 10_000, "B's CRM call to be in flight");
    // Meanwhile one event proves u1 and b@example.com are the same person: B merges into A (the older).
    expect((await rt.app.request('/api/events', appEventRequest({ id: 'link', type: 'user.activated', customer: { email: 'b@example.com', user_id: 'u1' } }))).status).toBe(200);
    expect((await t.db.query<{ merged_into: string }>('SELECT merged_into FROM customers WHERE id = $1', [B])).rows[0]!.merged_into).toBe(A);
    await settled(t.db);
    const owners = (await t.db.query<{ customer_id: string }>(`SELECT customer_id FROM identities WHERE kind = 'hubspot_contact'`)).rows;
    expect(owners.length).toBeGreaterThanOrEqual(1);
    expect(owners.every((o) => o.customer_id === A)).toBe(true);
  });

  it('disabled connectors record effects as skipped', async () => {
    rt = await startTestApp(t, { worker: true, env: { SLACK_WEBHOOK_URL: slack.url } });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('nocrm')));
    const done = await settled(t.db);
    expect(done.find((j) => j.connector === 'hubspot')).toMatchObject({ status: 'skipped', result: { skipped: 'connector hubspot is not configured' } });
    expect(done.find((j) => j.connector === 'slack')?.status).toBe('done');
  });

  it('graceful shutdown finishes an in-flight job and records it', async () => {
    // Slack holds the request; the call ends at HTTP_TIMEOUT_MS and shutdown waits for it.
    slack.faults.push({ kind: 'timeout' });
    rt = await startTestApp(t, { worker: true, env: env({ HTTP_TIMEOUT_MS: '500' }) });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(failed('inflight')));
    await waitUntil(async () => slack.requests.length > 0, 10_000, 'the slack call to start');
    await rt.close();
    const after = await jobs(t.db);
    expect(after.filter((j) => j.status === 'running')).toEqual([]);
    const alert = after.find((j) => j.connector === 'slack')!;
    expect(alert).toMatchObject({ status: 'pending', attempts: 1 });
    expect(alert.last_error).toMatch(/timed out|timeout/i);
  });
});
