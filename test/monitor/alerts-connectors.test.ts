import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator, startSlackEmulator, type HubspotEmulator, type SlackEmulator } from '../emulators/index.js';
import { appEventRequest, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { alertMessages, evaluations, FAST_ALERTS, getAlerts, waitForAlert } from './support.js';

/**
 * The rules over connector_state, driven through the dispatcher's real circuit breaker and credential
 * pause: a HubSpot outage opens the circuit; HubSpot refusing the token pauses the connector. Each
 * opens one incident naming the connector (and the variable to fix) and resolves once a probe succeeds.
 */
describe.each(DB_KINDS)('connector alert rules on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let slack: SlackEmulator;
  let hubspot: HubspotEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    slack = await startSlackEmulator();
    hubspot = await startHubspotEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await Promise.all([slack.close(), hubspot.close()]);
  });

  const start = () =>
    startTestApp(t, {
      worker: true,
      env: { SLACK_WEBHOOK_URL: slack.url, HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url, ...FAST_ALERTS, CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '300' },
    });
  const signup = (id: string) => appEventRequest({ id, type: 'user.signed_up', customer: { email: `${id}@example.com` } });

  it('an open circuit opens one alert naming the connector; the successful probe resolves it', async () => {
    rt = await start();
    hubspot.faults.failFor(120_000, { status: 503 });
    expect((await rt.app.request('/api/events', signup('circuit'))).status).toBe(200);

    const opened = await waitForAlert(slack, 'hubspot circuit open', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toMatch(/^:rotating_light: hubspot circuit open: No calls to hubspot after \d+ failures in a row/);
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'hubspot circuit open').opened).toHaveLength(1);
    expect((await getAlerts(rt)).open).toMatchObject([{ rule: 'connector_circuit_open', subject: 'hubspot' }]);

    hubspot.faults.clear();
    await waitForAlert(slack, 'hubspot circuit open', { opened: 1, resolved: 1 });
    expect(hubspot.contacts.get('circuit@example.com')).toBeDefined();
  });

  it('a connector paused for its credentials opens one alert naming the variable; a probe with valid credentials resolves it', async () => {
    rt = await start();
    hubspot.faults.failFor(120_000, { status: 401 });
    expect((await rt.app.request('/api/events', signup('paused'))).status).toBe(200);

    const opened = await waitForAlert(slack, 'hubspot paused: credentials rejected', { opened: 1, resolved: 0 });
    expect(opened.opened[0]).toContain('check HUBSPOT_ACCESS_TOKEN');
    await evaluations(rt, 3);
    expect(alertMessages(slack, 'hubspot paused').opened).toHaveLength(1);

    hubspot.faults.clear(); // the token works again (as after replacing it and restarting)
    await waitForAlert(slack, 'hubspot paused: credentials rejected', { opened: 1, resolved: 1 });
    expect(hubspot.contacts.get('paused@example.com')).toBeDefined();
  });
});
