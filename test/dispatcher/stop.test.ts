import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { createConnectors } from '../../src/connectors/index.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { fromStripe } from '../../src/events/index.js';
import { createMetrics } from '../../src/monitor/index.js';
import { record } from '../../src/pipeline/index.js';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { captureLogger, testConfig } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, waitUntil } from '../support/wait.js';

describe.each(DB_KINDS)('dispatcher stop on %s', (kind) => {
  const t = useTestDb(kind);
  let slack: SlackEmulator;
  beforeAll(async () => {
    slack = await startSlackEmulator();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('aborts provider calls still hanging after the grace period and records them as retryable', async () => {
    slack.faults.push({ kind: 'timeout' }); // Slack never answers; the HTTP timeout (30 s) is far away
    const config = testConfig({ SLACK_WEBHOOK_URL: slack.url, HTTP_TIMEOUT_MS: '30000', JOB_LEASE_MS: '60000' });
    const evt = stripeEvent('invoice.payment_failed', 'invoice', { customer: 'cus_hang', customer_email: 'hang@example.com', subscription: null, parent: null });
    await record(t.db, fromStripe(evt), evt, { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['slack']), maxAttempts: 5 });
    const d = new Dispatcher({ db: t.db, connectors: createConnectors(config), config: config.dispatcher, logger: captureLogger().logger, metrics: createMetrics(), ids: systemIds, stopGraceMs: 300 });
    await d.start();
    await waitUntil(async () => slack.requests.length > 0, 10_000, 'the Slack call to hang');
    const started = Date.now();
    await d.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    const alert = (await jobs(t.db)).find((j) => j.connector === 'slack')!;
    expect(alert).toMatchObject({ status: 'pending', attempts: 1 });
    expect(alert.last_error).toMatch(/abort|timed out|timeout/i);
  });
});
