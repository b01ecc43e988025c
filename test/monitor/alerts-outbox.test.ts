import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator, startResendEmulator, startSlackEmulator, startZendeskEmulator, type HubspotEmulator, type SlackEmulator, type ZendeskEmulator } from '../emulators/index.js';
import { adminHeaders, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, waitUntil } from '../support/wait.js';
import { alertMessages, evaluations, FAST_ALERTS, getAlerts, waitForAlert } from './support.js';

/**
 * The rules that watch the outbox, each driven by real deliveries against emulators and a shortened
 * window set through configuration: dead letters, the oldest pending job, signups missing in the CRM,
 * and failing ticket creation. Each opens ONE incident (one Slack message), stays silent while it
 * holds, and resolves ONCE when the cause is fixed.
 */
describe.each(DB_KINDS)('outbox alert rules on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let slack: SlackEmulator;
  let hubspot: HubspotEmulator;
  let zendesk: ZendeskEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    slack = await startSlackEmulator();
    hubspot = await startHubspotEmulator();
    zendesk = await startZendeskEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await Promise.all([slack.close(), hubspot.close(), zendesk.close()]);
  });

  const start = (env: Record<string, string>) =>
    startTestApp(t, {
      worker: true,
      // A provider outage in these tests must not also open the circuit (that rule has its own test).
      env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS, CIRCUIT_FAILURE_THRESHOLD: '1000', ...env },
    });
  const hubspotEnv = () => ({ HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url });
  const signup = (id: string, email: string) => appEventRequest({ id, type: 'user.signed_up', customer: { email, name: 'Ada' } });

  it('with ALERT_EMAIL_TO and the email connector, the founder also gets one email when it opens and one when it resolves', async () => {
    const resend = await startResendEmulator();
    try {
      rt = await start({ RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, EMAIL_FROM: 'Acme <alerts@acme.test>', ALERT_EMAIL_TO: 'founder@acme.test,ops@acme.test' });
      slack.faults.push({ status: 400 }); // the payment alert dies: a dead letter
      const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: 'in_mail', customer: 'cus_mail', customer_email: 'mail@example.com', amount_due: 4900, currency: 'usd', subscription: null, parent: null });
      expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
      await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 0 });
      const founder = () => resend.emails.filter((e) => e.to.join() === 'founder@acme.test,ops@acme.test');
      await waitUntil(async () => founder().length === 1);
      expect(founder()[0]!.subject).toBe('[Handoff alert] Dead-lettered jobs');
      expect(founder()[0]!.text).toContain('What to do:');
      expect(founder()[0]!.text).toContain('handoff jobs retry --all-dead');

      expect((await rt.app.request('/api/admin/jobs/retry-dead', { method: 'POST', headers: adminHeaders })).status).toBe(200);
      await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 1 });
      await waitUntil(async () => founder().length === 2);
      expect(founder()[1]!.subject).toBe('[Handoff resolved] Dead-lettered jobs');
      await evaluations(rt, 2);
      expect(founder()).toHaveLength(2);
      // The customer's own dunning email went to the customer, not to the founder.
      expect(resend.emails.filter((e) => e.to.join() === 'mail@example.com')).toHaveLength(1);
    } finally {
      await rt?.close();
      rt = undefined;
      await resend.close();
    }
  });

  it('a dead letter opens one alert; retrying it resolves it: one message each, none in between', async () => {
    rt = await start({});
    slack.faults.push({ status: 400 }); // Slack refuses the payment alert: a permanent 4xx, dead at once
    const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: 'in_dead', customer: 'cus_dead', customer_email: 'dead@example.com', amount_due: 4900, currency: 'usd', subscription: null, parent: null });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);

    const opened = await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toContain('1 job gave up: slack 1');
    expect(opened.opened[0]).toContain('HTTP 400');
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Dead-lettered jobs').opened).toHaveLength(1);
    const during = await getAlerts(rt);
    expect(during.open).toMatchObject([{ rule: 'dead_letter', subject: '', title: 'Dead-lettered jobs', resolved_at: null }]);
    expect(during.open[0]?.action).toContain('handoff jobs retry --all-dead');

    // The operator replays the dead letter (what `handoff jobs retry --all-dead` calls).
    const retry = await rt.app.request('/api/admin/jobs/retry-dead', { method: 'POST', headers: adminHeaders });
    expect(retry.status).toBe(200);
    const done = await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 1 });
    expect(done.resolved[0]).toMatch(/^:white_check_mark: Resolved: Dead-lettered jobs \(open for [\d.]+ s\)$/);
    expect(slack.messages.filter((m) => m.text?.startsWith('Payment failed for dead@example.com'))).toHaveLength(1);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Dead-lettered jobs')).toMatchObject({ opened: [expect.any(String)], resolved: [expect.any(String)] });
    const after = await getAlerts(rt);
    expect(after.open).toEqual([]);
    expect(after.history).toMatchObject([{ rule: 'dead_letter', resolved_at: expect.any(String) }]);
    // Alert messages are outbox jobs of no customer, delivered like any other.
    const alertJobs = (await jobs(t.db)).filter((j) => j.idempotency_key.startsWith('alert:'));
    expect(alertJobs.map((j) => [j.connector, j.status])).toEqual([
      ['slack', 'done'],
      ['slack', 'done'],
    ]);
  });

  it('a job not delivered within ALERT_OLDEST_PENDING_MS opens one alert; delivery resolves it', async () => {
    rt = await start({ ...hubspotEnv(), ALERT_OLDEST_PENDING_MS: '1500' });
    hubspot.faults.failFor(120_000, { status: 503 }); // HubSpot down: the CRM job keeps retrying
    expect((await rt.app.request('/api/events', signup('evt-backlog', 'backlog@example.com'))).status).toBe(200);

    const opened = await waitForAlert(slack, 'Outbox backlog', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toMatch(/^:rotating_light: Outbox backlog: jobs waiting over 1\.5 s: 1 job not delivered after 1\.5 s \(oldest [\d.]+ (s|min)\): hubspot 1$/);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Outbox backlog').opened).toHaveLength(1);

    hubspot.faults.clear(); // HubSpot is back: the next retry delivers
    await waitForAlert(slack, 'Outbox backlog', { opened: 1, resolved: 1 });
    expect(hubspot.contacts.get('backlog@example.com')).toBeDefined();
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Outbox backlog')).toMatchObject({ opened: [expect.any(String)], resolved: [expect.any(String)] });
  });

  it('a signup without a CRM contact after ALERT_SIGNUP_CRM_MS opens one alert naming it; the contact resolves it', async () => {
    rt = await start({ ...hubspotEnv(), ALERT_SIGNUP_CRM_MS: '1500' });
    hubspot.faults.failFor(120_000, { status: 503 });
    expect((await rt.app.request('/api/events', signup('evt-crm', 'crm@example.com'))).status).toBe(200);

    const opened = await waitForAlert(slack, 'Signups missing in the CRM', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toBe(':rotating_light: Signups missing in the CRM after 1.5 s: 1 signup without a HubSpot contact (crm@example.com)');
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Signups missing in the CRM').opened).toHaveLength(1);

    hubspot.faults.clear();
    await waitForAlert(slack, 'Signups missing in the CRM', { opened: 1, resolved: 1 });
    expect(hubspot.contacts.get('crm@example.com')).toBeDefined();
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Signups missing in the CRM').resolved).toHaveLength(1);
  });

  it('3 failed ticket creations in a row open one alert; the ticket created resolves it', async () => {
    rt = await start({ ZENDESK_BASE_URL: zendesk.url, ZENDESK_EMAIL: zendesk.email, ZENDESK_API_TOKEN: zendesk.apiToken });
    zendesk.faults.failFor(120_000, { status: 503 });
    const escalation = { id: 'evt-help', type: 'support.escalation_requested', customer: { email: 'help@example.com', name: 'Grace' }, data: { escalation_id: 'esc-1', subject: 'Export broken', message: 'Nothing happens' } };
    expect((await rt.app.request('/api/events', appEventRequest(escalation))).status).toBe(200);

    const opened = await waitForAlert(slack, 'Zendesk ticket creation failing', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toMatch(/^:rotating_light: Zendesk ticket creation failing: \d+ failed attempts in a row \(1 escalation waiting or dead\)\. Last error: .*503/);
    expect(zendesk.requests.filter((r) => r.fault === '503').length).toBeGreaterThanOrEqual(3);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Zendesk ticket creation failing').opened).toHaveLength(1);

    zendesk.faults.clear();
    await waitForAlert(slack, 'Zendesk ticket creation failing', { opened: 1, resolved: 1 });
    expect(zendesk.tickets.size).toBe(1);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'Zendesk ticket creation failing').resolved).toHaveLength(1);
  });

  it('GET /api/alerts needs the admin token and lists every rule with its configured threshold', async () => {
    rt = await start({ ALERT_OLDEST_PENDING_MS: '120000' });
    expect((await rt.app.request('/api/alerts')).status).toBe(401);
    expect((await rt.app.request('/api/alerts', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await rt.app.request('/api/alerts?limit=0', { headers: adminHeaders })).status).toBe(400);
    const body = await getAlerts(rt);
    expect(body.rules.map((r) => r.rule)).toEqual([
      'webhook_failure_rate',
      'oldest_pending_job',
      'dead_letter',
      'ticket_creation_failing',
      'connector_circuit_open',
      'connector_paused',
      'payment_not_recovered',
      'signup_without_crm',
      'uptime',
      'drift_detected',
    ]);
    expect(body.rules.find((r) => r.rule === 'oldest_pending_job')?.threshold).toContain('2 min');
    expect(body.rules.find((r) => r.rule === 'webhook_failure_rate')?.threshold).toContain('2 % of webhook requests over 15 min');
    expect(body.evaluator.interval_ms).toBe(100);
    await waitUntil(async () => (await getAlerts(rt!)).evaluator.last_evaluated_at, 10_000, 'a first evaluation');
  });
});
