import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  OUTBOUND_TEST_SECRET,
  startHubspotEmulator,
  startSlackEmulator,
  startWebhookReceiver,
  type HubspotEmulator,
  type WebhookReceiver,
} from '../emulators/index.js';
import { adminHeaders, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled, waitUntil } from '../support/wait.js';
import { connectorState, jobCounts, probeNow, queueJobs, sleep, totalAttempts } from './gate-support.js';

const DAILY_BODY = JSON.stringify({
  status: 'error',
  message: 'You have reached your daily limit.',
  errorType: 'RATE_LIMIT',
  correlationId: 'c0ffee00-0000-4000-8000-000000000000',
  policyName: 'DAILY',
});

/**
 * Halts that belong to a connector, not to a job: refused credentials and a spent daily quota pause it,
 * a gone endpoint disables it. Jobs wait uncounted; the state is visible at GET /api/connectors; a probe
 * (cool-down ended by moving next_probe_at, as the clock would) or a new configuration resumes delivery.
 */
describe.each(DB_KINDS)('connector halts on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let hubspot: HubspotEmulator;
  let rt: TestApp | undefined;
  const receivers: WebhookReceiver[] = [];

  beforeEach(async () => {
    hubspot = await startHubspotEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await hubspot.close();
    for (const r of receivers.splice(0)) await r.close();
  });

  const hubspotEnv = (extra: Record<string, string> = {}) => ({
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    CIRCUIT_COOLDOWN_MS: '600000',
    ...extra,
  });
  const start = async (env: Record<string, string>) => {
    rt = await startTestApp(t, { worker: true, env });
    return rt;
  };
  const restart = async (env: Record<string, string>) => {
    await rt?.close();
    return start(env);
  };
  const view = async (name: string) => {
    const res = await rt!.app.request('/api/connectors', { headers: adminHeaders });
    expect(res.status).toBe(200);
    return ((await res.json()) as { connectors: Array<Record<string, unknown>> }).connectors.find((c) => c.name === name);
  };
  const state = (name = 'hubspot') => connectorState(t.db, name);

  it('401 pauses HubSpot instead of dead-lettering: jobs wait uncounted, the state is visible, a probe resumes it', async () => {
    hubspot.faults.failFor(600_000, { status: 401 });
    await queueJobs(t.db, 'hubspot', 5);
    await start(hubspotEnv());

    await waitUntil(async () => (await state())?.status === 'paused' && (await jobCounts(t.db, 'hubspot')).pending === 5, 20_000, 'HubSpot to pause');
    expect(await state()).toMatchObject({ status: 'paused', reason: 'credentials', variable: 'HUBSPOT_ACCESS_TOKEN' });
    expect(await totalAttempts(t.db, 'hubspot')).toBe(0);
    const calls = hubspot.requests.length;
    expect(calls).toBeGreaterThanOrEqual(1);
    await sleep(500); // ten poll intervals: nothing more is sent
    expect(hubspot.requests).toHaveLength(calls);
    expect(await jobCounts(t.db, 'hubspot')).toEqual({ pending: 5 });

    expect(await view('hubspot')).toMatchObject({
      state: 'paused',
      circuit: 'open',
      reason: 'credentials',
      variable: 'HUBSPOT_ACCESS_TOKEN',
      backlog: { pending: 5, running: 0 },
      rateLimit: { calls: 100, windowMs: 10_000 },
    });
    // One warn line for the change, naming connector and variable; the token is never logged.
    const changes = rt!.logLines.filter((l) => /"connector":"hubspot"/.test(l) && /"state":"paused"/.test(l));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/"level":40/);
    expect(changes[0]).toMatch(/"variable":"HUBSPOT_ACCESS_TOKEN"/);
    expect(rt!.logLines.join('\n')).not.toContain(hubspot.token);

    // Cool-down over, token still refused: ONE probe, still paused, still uncounted.
    await probeNow(t.db, 'hubspot');
    await waitUntil(async () => hubspot.requests.length === calls + 1 && (await state())?.probe_job_id === null, 10_000, 'the probe');
    await sleep(300);
    expect(hubspot.requests).toHaveLength(calls + 1);
    expect(await state()).toMatchObject({ status: 'paused', reason: 'credentials' });
    expect(await totalAttempts(t.db, 'hubspot')).toBe(0);

    // The emulator accepts the token again: the next probe succeeds and the backlog drains.
    hubspot.faults.clear();
    await probeNow(t.db, 'hubspot');
    const done = await settled(t.db);
    expect(done.map((j) => [j.status, j.attempts])).toEqual(Array(5).fill(['done', 1]));
    expect(hubspot.contacts.size).toBe(5);
    expect(await state()).toMatchObject({ status: 'closed', reason: null, variable: null, since: null });
    expect(await view('hubspot')).toMatchObject({ state: 'closed', circuit: 'closed', backlog: { pending: 0 } });
  });

  it('a restart with a replaced token resumes at once; a restart with the same token stays paused', async () => {
    const good = hubspot.token;
    await queueJobs(t.db, 'hubspot', 3);
    await start(hubspotEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-revoked-token' })); // the emulator itself answers 401
    await waitUntil(async () => (await state())?.status === 'paused' && (await jobCounts(t.db, 'hubspot')).pending === 3, 20_000, 'HubSpot to pause');

    await restart(hubspotEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-revoked-token' }));
    const calls = hubspot.requests.length;
    await sleep(500);
    expect(hubspot.requests).toHaveLength(calls);
    expect(await state()).toMatchObject({ status: 'paused', reason: 'credentials' });

    await restart(hubspotEnv({ HUBSPOT_ACCESS_TOKEN: good }));
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
    expect(await state()).toMatchObject({ status: 'closed' });
    expect(rt!.logLines.some((l) => /configuration changed/.test(l) && /"was":"paused"/.test(l))).toBe(true);
    // What is stored identifies the configuration without revealing it.
    const row = (await t.db.query('SELECT * FROM connector_state')).rows;
    expect(JSON.stringify(row)).not.toContain(good);
    expect(JSON.stringify(row)).not.toContain('revoked');
  });

  it('a HubSpot DAILY 429 pauses until the reset (next midnight UTC) instead of hammering', async () => {
    hubspot.faults.push({ status: 429, body: DAILY_BODY });
    await queueJobs(t.db, 'hubspot', 3);
    const before = new Date();
    await start(hubspotEnv({ DISPATCH_CONCURRENCY: '1' }));

    await waitUntil(async () => (await state())?.status === 'paused' && (await jobCounts(t.db, 'hubspot')).pending === 3, 20_000, 'HubSpot to pause');
    const paused = (await state())!;
    expect(paused).toMatchObject({ status: 'paused', reason: 'quota', variable: null });
    // The reset is the midnight UTC after the 429 (which came between `before` and `since`), but never sooner
    // than one cool-down (10 min here) after the pause: within 10 minutes of midnight the cool-down wins.
    const since = paused.since!;
    const midnightAfter = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    const expected = (d: Date) => Math.max(midnightAfter(d), since.getTime() + 600_000);
    expect([expected(before), expected(since)]).toContain(paused.next_probe_at!.getTime());
    expect(hubspot.requests).toHaveLength(1);
    await sleep(500);
    expect(hubspot.requests).toHaveLength(1);
    expect(await totalAttempts(t.db, 'hubspot')).toBe(0);
    expect(await view('hubspot')).toMatchObject({ state: 'paused', reason: 'quota', variable: null });

    // The reset comes: the probe succeeds and delivery resumes.
    await probeNow(t.db, 'hubspot');
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
    expect(await state()).toMatchObject({ status: 'closed', reason: null });
  });

  it('a DAILY 429 honours Retry-After; a probe that meets DAILY again waits at most an hour', async () => {
    hubspot.faults.push({ status: 429, body: DAILY_BODY, retryAfter: 120 });
    await queueJobs(t.db, 'hubspot', 2);
    await start(hubspotEnv({ DISPATCH_CONCURRENCY: '1', CIRCUIT_COOLDOWN_MS: '1000' }));

    await waitUntil(async () => (await state())?.status === 'paused', 20_000, 'HubSpot to pause');
    const first = (await state())!;
    const wait = first.next_probe_at!.getTime() - first.since!.getTime();
    expect(wait).toBeGreaterThan(115_000);
    expect(wait).toBeLessThan(125_000);

    hubspot.faults.push({ status: 429, body: DAILY_BODY });
    await probeNow(t.db, 'hubspot');
    await waitUntil(async () => hubspot.requests.length === 2 && (await jobCounts(t.db, 'hubspot')).pending === 2, 10_000, 'the probe');
    const again = (await state())!;
    expect(again).toMatchObject({ status: 'paused', reason: 'quota' });
    expect(again.next_probe_at!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(again.next_probe_at!.getTime()).toBeGreaterThan(Date.now());
    expect(await totalAttempts(t.db, 'hubspot')).toBe(0);
  });

  it('an endpoint answering 410 disables the outbound webhook until it is reconfigured', async () => {
    const gone = await startWebhookReceiver();
    const moved = await startWebhookReceiver();
    receivers.push(gone, moved);
    gone.faults.failFor(600_000, { status: 410 });
    await queueJobs(t.db, 'webhook', 3);
    const webhookEnv = (url: string) => ({ OUTBOUND_WEBHOOK_URL: url, OUTBOUND_WEBHOOK_SECRET: OUTBOUND_TEST_SECRET, DISPATCH_CONCURRENCY: '1' });
    await start(webhookEnv(gone.url));

    await waitUntil(async () => (await state('webhook'))?.status === 'disabled' && (await jobCounts(t.db, 'webhook')).pending === 3, 20_000, 'the webhook to be disabled');
    expect(await state('webhook')).toMatchObject({ status: 'disabled', reason: 'gone', variable: 'OUTBOUND_WEBHOOK_URL', next_probe_at: null });
    expect(gone.requests).toHaveLength(1);
    expect(await view('webhook')).toMatchObject({ state: 'disabled', reason: 'gone', variable: 'OUTBOUND_WEBHOOK_URL', backlog: { pending: 3 } });

    // No probe, however long it waits, and not after a restart with the same URL either.
    await probeNow(t.db, 'webhook');
    await restart(webhookEnv(gone.url));
    await sleep(500);
    expect(gone.requests).toHaveLength(1);
    expect(await totalAttempts(t.db, 'webhook')).toBe(0);
    expect(JSON.stringify((await t.db.query('SELECT * FROM connector_state')).rows)).not.toContain(gone.url);

    // Reconfigured: delivery resumes at once, to the new endpoint.
    await restart(webhookEnv(moved.url));
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
    expect(moved.delivered).toHaveLength(3);
    expect(gone.requests).toHaveLength(1);
    expect(await state('webhook')).toMatchObject({ status: 'closed' });
  });

  it('a revoked Slack webhook (404 channel_not_found) disables Slack; its alerts wait for a new URL instead of dying', async () => {
    const revoked = await startSlackEmulator();
    const fresh = await startSlackEmulator();
    revoked.faults.failFor(600_000, { status: 404, body: 'channel_not_found' });
    try {
      await queueJobs(t.db, 'slack', 3);
      await start({ SLACK_WEBHOOK_URL: revoked.url, DISPATCH_CONCURRENCY: '1' });
      await waitUntil(async () => (await state('slack'))?.status === 'disabled' && (await jobCounts(t.db, 'slack')).pending === 3, 20_000, 'Slack to be disabled');
      expect(await state('slack')).toMatchObject({ status: 'disabled', reason: 'gone', variable: 'SLACK_WEBHOOK_URL' });
      expect(revoked.requests).toHaveLength(1);
      expect(await totalAttempts(t.db, 'slack')).toBe(0);

      await restart({ SLACK_WEBHOOK_URL: fresh.url });
      const done = await settled(t.db);
      expect(done.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
      expect(fresh.messages).toHaveLength(3);
    } finally {
      await rt?.close();
      rt = undefined;
      await revoked.close();
      await fresh.close();
    }
  });

  it('GET /api/connectors needs the admin token and lists only configured connectors', async () => {
    await start(hubspotEnv());
    expect((await rt!.app.request('/api/connectors')).status).toBe(401);
    expect((await rt!.app.request('/api/connectors', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const res = await rt!.app.request('/api/connectors', { headers: adminHeaders });
    const body = (await res.json()) as { connectors: Array<{ name: string; state: string; rateLimit: { available: number } }> };
    expect(body.connectors.map((c) => c.name)).toEqual(['hubspot']);
    expect(body.connectors[0]).toMatchObject({ state: 'closed', circuit: 'closed', rateLimit: { calls: 100, windowMs: 10_000, available: 100 } });
  });
});
