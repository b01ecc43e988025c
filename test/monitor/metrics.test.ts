import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { adminHeaders, appEventRequest, signStripe, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { settled, waitUntil } from '../support/wait.js';
import { FAST_ALERTS } from './support.js';

/** The value of one sample line (`name{labels} value`) in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean);
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

describe.each(DB_KINDS)('GET /metrics on %s', (kind) => {
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

  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await rt!.app.request('/metrics', { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('after real traffic: every issue metric with its labels, route patterns only, process metrics', async () => {
    // Alerts off (ALERT_EVAL_INTERVAL_MS=0): the failures below would otherwise post a failure-rate alert to Slack.
    rt = await startTestApp(t, { worker: true, env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS, ALERT_EVAL_INTERVAL_MS: '0' } });
    const failed = stripeEvent('invoice.payment_failed', 'invoice', { id: 'in_m1', customer: 'cus_m1', customer_email: 'metrics@example.com', amount_due: 4900, currency: 'usd', subscription: null, parent: null });
    const req = (init: RequestInit) => rt!.app.request('/api/webhooks/stripe', init);
    expect((await req(stripeRequest(failed))).status).toBe(200); // accepted
    expect((await req(stripeRequest(failed))).status).toBe(200); // duplicate
    expect((await req(stripeRequest(failed, { secret: 'whsec_someone_else_0123456789' }))).status).toBe(400); // rejected_signature
    // The doctor's marked self-test is answered like any unsigned request, but not counted as a failed delivery.
    expect((await req({ method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-handoff-probe': 'doctor' } })).status).toBe(400);
    const notAnEvent = JSON.stringify({ hello: 'signed, but not a Stripe event' });
    expect((await req({ method: 'POST', body: notAnEvent, headers: { 'stripe-signature': signStripe(notAnEvent) } })).status).toBe(400); // invalid
    expect((await req({ method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'stripe-signature': signStripe('x') } })).status).toBe(413); // invalid too
    expect((await rt.app.request('/api/events', appEventRequest({ id: 'm-app', type: 'user.signed_up', customer: { email: 'app@example.com' } }, 'hk_not_a_real_key_000000000'))).status).toBe(401);
    expect((await rt.app.request('/api/customers/metrics@example.com', { headers: adminHeaders })).status).toBe(200);
    expect((await rt.app.request('/no/such/page/metrics@example.com')).status).toBe(404);
    await settled(t.db);

    const text = await scrape();
    expect(sample(text, 'handoff_webhooks_total', { source: 'stripe', outcome: 'accepted' })).toBe(1);
    expect(sample(text, 'handoff_webhooks_total', { source: 'stripe', outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'handoff_webhooks_total', { source: 'stripe', outcome: 'rejected_signature' })).toBe(1);
    expect(sample(text, 'handoff_webhooks_total', { source: 'stripe', outcome: 'invalid' })).toBe(2);
    expect(sample(text, 'handoff_webhooks_total', { source: 'app', outcome: 'rejected_signature' })).toBe(1);
    expect(sample(text, 'handoff_duplicates_total', { source: 'stripe' })).toBe(1);

    expect(sample(text, 'handoff_http_request_duration_seconds_count', { route: '/api/webhooks/stripe', method: 'POST', status: '200' })).toBe(2);
    expect(sample(text, 'handoff_http_request_duration_seconds_count', { route: '/api/webhooks/stripe', method: 'POST', status: '400' })).toBe(3); // the doctor's probe is timed like any request
    expect(sample(text, 'handoff_http_request_duration_seconds_count', { route: '/api/customers/:idOrEmail', method: 'GET', status: '200' })).toBe(1);
    expect(sample(text, 'handoff_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(sample(text, 'handoff_http_request_duration_seconds_bucket', { route: '/api/webhooks/stripe', method: 'POST', status: '200', le: '+Inf' })).toBe(2);
    expect(text).not.toContain('metrics@example.com'); // a raw path never becomes a label

    // The payment alert went to Slack: one attempt, done, and its sync lag observed once.
    expect(sample(text, 'handoff_job_attempts_total', { connector: 'slack', outcome: 'done' })).toBe(1);
    expect(sample(text, 'handoff_sync_lag_seconds_count', { connector: 'slack' })).toBe(1);
    expect(sample(text, 'handoff_sync_lag_seconds_sum', { connector: 'slack' })).toBeGreaterThan(0);
    // Gauges read from the database at scrape time.
    expect(sample(text, 'handoff_jobs', { connector: 'slack', status: 'done' })).toBe(1);
    expect(sample(text, 'handoff_jobs', { connector: 'hubspot', status: 'skipped' })).toBe(1); // HubSpot not configured
    expect(sample(text, 'handoff_jobs', { connector: 'zendesk', status: 'pending' })).toBe(0);
    expect(sample(text, 'handoff_job_oldest_pending_seconds', { connector: 'slack' })).toBe(0);
    expect(sample(text, 'handoff_alerts_firing', { rule: 'dead_letter' })).toBe(0);
    expect(sample(text, 'handoff_alerts_firing', { rule: 'uptime' })).toBe(0);
    // Default process metrics.
    expect(slack.messages).toHaveLength(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('handoff_alerts_firing follows an incident; retries and dead letters are counted per connector', async () => {
    rt = await startTestApp(t, { worker: true, env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS } });
    slack.faults.push({ status: 503 }, { status: 400 }); // one retry, then a permanent refusal
    const evt = stripeEvent('charge.refunded', 'charge', { id: 'ch_m2', customer: 'cus_m2', billing_details: { email: 'refund@example.com' }, amount_refunded: 1000, refunded: false });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
    const text = await waitUntil(async () => {
      const s = await scrape();
      return sample(s, 'handoff_alerts_firing', { rule: 'dead_letter' }) === 1 ? s : undefined;
    }, 20_000, 'dead_letter firing');
    expect(sample(text, 'handoff_job_attempts_total', { connector: 'slack', outcome: 'retry' })).toBe(1);
    expect(sample(text, 'handoff_job_attempts_total', { connector: 'slack', outcome: 'dead' })).toBe(1);
    expect(sample(text, 'handoff_jobs', { connector: 'slack', status: 'dead' })).toBe(1);
  });

  it('with METRICS_TOKEN set, /metrics needs it', async () => {
    rt = await startTestApp(t, { env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    expect((await rt.app.request('/metrics')).status).toBe(401);
    expect((await rt.app.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(await scrape({ authorization: 'Bearer metrics-token-0123456789' })).toContain('handoff_webhooks_total');
  });
});
