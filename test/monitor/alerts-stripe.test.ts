import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED, stripeEvent } from '../support/stripe-fixtures.js';
import { alertMessages, evaluations, FAST_ALERTS, getAlerts, waitForAlert } from './support.js';

/**
 * Rules fed by real Stripe deliveries (signed with the official package, some badly): the webhook
 * failure rate over its window, and a failed payment with no recovery within ALERT_PAYMENT_RECOVERY_MS.
 */
describe.each(DB_KINDS)('Stripe-fed alert rules on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let slack: SlackEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    slack = await startSlackEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await slack.close();
  });

  const start = (env: Record<string, string>) => startTestApp(t, { worker: true, env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS, ...env } });
  const invoice = (type: string, id: string, created = DEFAULT_CREATED) =>
    stripeEvent(type, 'invoice', { id, customer: `cus_${id}`, customer_email: `${id}@example.com`, amount_due: 4900, currency: 'usd', subscription: null, parent: null }, { created });

  it('bad signatures above ALERT_WEBHOOK_FAILURE_RATE open one alert; it resolves once the window holds no failure', async () => {
    rt = await start({ ALERT_WEBHOOK_WINDOW_MS: '6000', ALERT_WEBHOOK_FAILURE_RATE: '2%' });
    for (let i = 0; i < 3; i++) expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.created', `in_ok${i}`)))).status).toBe(200);
    // A sender with the wrong secret (a rotated secret not configured here): 400, counted as rejected_signature.
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.created', 'in_forged'), { secret: 'whsec_rotated_elsewhere_0123456789' }))).status).toBe(400);

    const opened = await waitForAlert(slack, 'Webhook failures above 2 %', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toMatch(/^:rotating_light: Webhook failures above 2 %: 1 of [1-4] webhook requests failed in the last 6 s \([\d.]+ %\): rejected_signature 1$/);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Webhook failures above 2 %').opened).toHaveLength(1);
    // Open, or already resolved if this machine took longer than the window: either way, the one incident.
    expect((await getAlerts(rt)).history).toMatchObject([{ rule: 'webhook_failure_rate', subject: '' }]);

    // Good deliveries keep arriving; once the failure has left the 6 s window the rate is 0.
    let n = 0;
    const app = rt.app;
    const traffic = setInterval(() => void app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.created', `in_later${n++}`))), 300);
    try {
      await waitForAlert(slack, 'Webhook failures above 2 %', { opened: 1, resolved: 1 });
      await evaluations(rt, 3);
    } finally {
      clearInterval(traffic);
    }
    expect(n).toBeGreaterThan(0);
    expect(alertMessages(slack, 'Webhook failures above 2 %')).toMatchObject({ opened: [expect.any(String)], resolved: [expect.any(String)] });
  });

  it('successful deliveries alone never open the failure-rate alert', async () => {
    rt = await start({ ALERT_WEBHOOK_WINDOW_MS: '3000' });
    const evt = invoice('invoice.created', 'in_dup');
    for (let i = 0; i < 3; i++) expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200); // duplicates are 2xx too
    await evaluations(rt, 5);
    expect((await getAlerts(rt)).history).toEqual([]);
    expect(slack.messages).toEqual([]);
  });

  it('a failed payment without invoice.paid within ALERT_PAYMENT_RECOVERY_MS opens one alert; invoice.paid resolves it', async () => {
    rt = await start({ ALERT_PAYMENT_RECOVERY_MS: '800' });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.payment_failed', 'in_late')))).status).toBe(200);

    const opened = await waitForAlert(slack, 'Payment not recovered after 0.8 s', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toMatch(/^:rotating_light: Payment not recovered after 0\.8 s: in_late@example\.com: invoice in_late \(49\.00 USD\) failed \d{4}-\d\d-\d\d \d\d:\d\d UTC and is still unpaid$/);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Payment not recovered').opened).toHaveLength(1);
    expect((await getAlerts(rt)).open).toMatchObject([{ rule: 'payment_not_recovered', subject: 'in_late' }]);

    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.paid', 'in_late', DEFAULT_CREATED + 3600)))).status).toBe(200);
    await waitForAlert(slack, 'Payment not recovered', { opened: 1, resolved: 1 });
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Payment not recovered').resolved).toHaveLength(1);
    // The payment alert itself went out once, as before.
    expect(slack.messages.filter((m) => m.text?.startsWith('Payment failed for in_late@example.com'))).toHaveLength(1);
  });

  it('a payment that recovers within the window never alerts', async () => {
    rt = await start({ ALERT_PAYMENT_RECOVERY_MS: '1500' });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.payment_failed', 'in_quick')))).status).toBe(200);
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(invoice('invoice.paid', 'in_quick', DEFAULT_CREATED + 60)))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    await evaluations(rt, 3);
    expect((await getAlerts(rt)).history).toEqual([]);
  });
});
