import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { adminHeaders, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled, waitUntil } from '../support/wait.js';
import { connectorState, jobCounts, probeNow, queueJobs, sleep, totalAttempts } from './gate-support.js';

/**
 * The circuit breaker, against the Slack emulator answering 503. The cool-down is long (10 min) and is
 * ended by moving next_probe_at to now, as the clock would: no assertion depends on timing.
 */
describe.each(DB_KINDS)('connector circuit breaker on %s', (kind) => {
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

  const env = () => ({
    SLACK_WEBHOOK_URL: slack.url,
    SLACK_RATE_LIMIT: '1000/1s',
    CIRCUIT_FAILURE_THRESHOLD: '3',
    CIRCUIT_COOLDOWN_MS: '600000',
  });
  const state = () => connectorState(t.db, 'slack');
  const connectorsView = async () => {
    const res = await rt!.app.request('/api/connectors', { headers: adminHeaders });
    expect(res.status).toBe(200);
    return ((await res.json()) as { connectors: Array<Record<string, unknown>> }).connectors.find((c) => c.name === 'slack')!;
  };

  it('opens after N failures in a row, makes no call while open, probes ONE job, re-opens, closes on success', async () => {
    slack.faults.failFor(600_000, { status: 503 });
    await queueJobs(t.db, 'slack', 1, 'first');
    rt = await startTestApp(t, { worker: true, env: env() });

    // One job failing three times in a row (retried with backoff) opens the circuit.
    await waitUntil(async () => (await state())?.status === 'open', 20_000, 'the circuit to open');
    expect(slack.requests).toHaveLength(3);
    expect(await state()).toMatchObject({ status: 'open', reason: 'failures', consecutive_failures: 3 });
    expect(rt.logLines.filter((l) => /"connector":"slack"/.test(l) && /"state":"open"/.test(l))).toHaveLength(1);

    // While open nothing is called, however much is due; the waiting jobs are not charged.
    await queueJobs(t.db, 'slack', 9, 'more');
    await sleep(500); // ten poll intervals
    expect(slack.requests).toHaveLength(3);
    expect(await totalAttempts(t.db, 'slack')).toBe(3);
    expect(await connectorsView()).toMatchObject({ state: 'open', circuit: 'open', reason: 'failures', consecutiveFailures: 3, backlog: { pending: 10 } });

    // Cool-down over, provider still down: exactly one probe, eight slots free and ten jobs due.
    await probeNow(t.db, 'slack');
    await waitUntil(async () => slack.requests.length === 4 && (await state())?.probe_job_id === null, 10_000, 'the probe');
    await sleep(300);
    expect(slack.requests).toHaveLength(4);
    expect(await state()).toMatchObject({ status: 'open', consecutive_failures: 4 });
    expect((await state())!.next_probe_at!.getTime()).toBeGreaterThan(Date.now() + 60_000);

    // Provider back: the next probe succeeds, the circuit closes and the backlog drains.
    slack.faults.clear();
    await probeNow(t.db, 'slack');
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'done')).toBe(true);
    expect(slack.messages).toHaveLength(10);
    expect(slack.requests).toHaveLength(14);
    expect(await state()).toMatchObject({ status: 'closed', reason: null, consecutive_failures: 0, since: null, next_probe_at: null });
    expect(rt.logLines.filter((l) => /"connector":"slack"/.test(l) && /"state":"closed"/.test(l) && /"was":"open"/.test(l))).toHaveLength(1);
  });

  it('a success resets the count: failures that are not consecutive never open it', async () => {
    // Fails twice, then succeeds, over and over: never three in a row.
    for (let i = 0; i < 4; i++) slack.faults.push({ status: 503 }, { status: 503 }, { kind: 'delay', ms: 1 });
    await queueJobs(t.db, 'slack', 4);
    rt = await startTestApp(t, { worker: true, env: { ...env(), DISPATCH_CONCURRENCY: '1' } });
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'done')).toBe(true);
    expect(slack.requests.map((r) => r.fault ?? 'ok')).toEqual(Array(4).fill(['503', '503', 'delay']).flat());
    expect(await totalAttempts(t.db, 'slack')).toBe(12);
    expect(await state()).toMatchObject({ status: 'closed', consecutive_failures: 0 });
    expect(rt.logLines.some((l) => /"state":"open"/.test(l))).toBe(false);
  });

  it('a permanent 4xx is the provider answering: it does not count toward opening', async () => {
    slack.faults.failFor(600_000, { status: 400 });
    await queueJobs(t.db, 'slack', 5);
    rt = await startTestApp(t, { worker: true, env: env() });
    const done = await settled(t.db);
    expect(done.every((j) => j.status === 'dead' && j.attempts === 1)).toBe(true);
    expect(await state()).toMatchObject({ status: 'closed', consecutive_failures: 0 });
    expect(await jobCounts(t.db, 'slack')).toEqual({ dead: 5 });
  });
});
