import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { startHubspotEmulator, startSlackEmulator, type HubspotEmulator, type SlackEmulator } from '../emulators/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, type TestDb, useTestDb } from '../support/db.js';
import { settled, waitUntil } from '../support/wait.js';
import { jobCounts, maxInAnyWindow, queueJobs } from './gate-support.js';

/**
 * Per-connector pacing shared through the database. Calls are counted where the provider would count
 * them: at the emulator, from each request's arrival time, over every rolling window.
 */
/** About 5 s at the limit; generous for a loaded machine (the assertions count calls, never time). */
const SLOW = 170_000;

describe.each(DB_KINDS)('per-connector rate limits on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let slack: SlackEmulator;
  let hubspot: HubspotEmulator;
  const apps: TestApp[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    slack = await startSlackEmulator();
    hubspot = await startHubspotEmulator();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const close of closers.splice(0)) await close();
    await slack.close();
    await hubspot.close();
  });

  const start = async (env: Record<string, string>, target: TestDb = t) => {
    const app = await startTestApp(target, { worker: true, env });
    apps.push(app);
    return app;
  };
  const attemptsBy = async (app: TestApp) => (await app.metrics.jobAttempts.get()).values.reduce((sum, v) => sum + v.value, 0);

  it('a 500-job Slack backlog drains at SLACK_RATE_LIMIT: never more than 100 calls in any second, no retries', async () => {
    await queueJobs(t.db, 'slack', 500);
    // "No retries" is about pacing (no 429s); the tests' 2 s HTTP timeout could still retry a call that a loaded
    // CI machine answered late (seen once with other suites running in parallel).
    await start({ SLACK_WEBHOOK_URL: slack.url, SLACK_RATE_LIMIT: '100/1s', HTTP_TIMEOUT_MS: '10000' });
    const done = await settled(t.db, SLOW);
    expect(done.filter((j) => j.status === 'done' && j.attempts === 1)).toHaveLength(500);
    expect(slack.messages).toHaveLength(500);
    expect(slack.requests).toHaveLength(500);
    expect(maxInAnyWindow(slack.requests, 1000)).toBeLessThanOrEqual(100);
  }, SLOW + 10_000);

  it('two dispatchers on one database share the window: together they stay under the limit', async () => {
    await queueJobs(t.db, 'slack', 200);
    // Each dispatcher alone can run at most 10 calls per 300 ms (~33/s, under the limit), together ~66/s (over it):
    // the window is what holds them to 50, and neither can take every job before the other claims (one that claims
    // ahead or has 64 slots could: which one wins each window's race is up to the timers).
    slack.faults.failFor(600_000, { kind: 'delay', ms: 300 });
    const env = { SLACK_WEBHOOK_URL: slack.url, SLACK_RATE_LIMIT: '50/1s', DISPATCH_CONCURRENCY: '10', DISPATCH_BATCH_SIZE: '10', DISPATCH_PREFETCH: '0' };
    // On PostgreSQL the second dispatcher has its own connection pool, as another process would.
    let second = t;
    if (kind === 'postgres') {
      const db = await openPostgres(t.url!);
      closers.push(() => db.close());
      second = { ...t, db };
    }
    const a = await start(env);
    const b = await start(env, second);
    const done = await settled(t.db, SLOW);
    expect(done.filter((j) => j.status === 'done' && j.attempts === 1)).toHaveLength(200);
    expect(slack.requests).toHaveLength(200);
    expect(maxInAnyWindow(slack.requests, 1000)).toBeLessThanOrEqual(50);
    // Both took part (each ran some of the backlog).
    const [byA, byB] = [await attemptsBy(a), await attemptsBy(b)];
    expect(byA + byB).toBe(200);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  }, SLOW + 10_000);

  it('a connector waiting for its window does not hold back another connector', async () => {
    await queueJobs(t.db, 'slack', 30); // older than the HubSpot jobs, 1 per second
    await queueJobs(t.db, 'hubspot', 10);
    await start({ SLACK_WEBHOOK_URL: slack.url, SLACK_RATE_LIMIT: '1/1s', HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url });
    await waitUntil(async () => (await jobCounts(t.db, 'hubspot')).done === 10, 30_000, 'the HubSpot jobs');
    const slackJobs = await jobCounts(t.db, 'slack');
    expect(slackJobs.pending).toBeGreaterThanOrEqual(20);
    expect(maxInAnyWindow(slack.requests, 1000)).toBeLessThanOrEqual(1);
  });

  // The emulator answers 429 TEN_SECONDLY_ROLLING past 10 requests in any second; a new contact costs two requests
  // (PATCH 404, POST) and the first job two more (property definitions). Charged one call per job, one slot would send
  // about twenty requests a second; eight slots, each job charged one call until it ends, would still claim eight
  // jobs and leave room for two more in the same second. Either collected 429s and retries (eight slots timed out on
  // them before jobs held their reservation).
  it.each(['1', '8'])('HubSpot is charged per request, each job holding its most requests while it runs: %s slots never meet the limit', async (slots) => {
    await hubspot.close();
    hubspot = await startHubspotEmulator({ rateLimit: { max: 10, intervalMs: 1000 } });
    await queueJobs(t.db, 'hubspot', 15);
    await start({ HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url, HUBSPOT_RATE_LIMIT: '10/1s', DISPATCH_CONCURRENCY: slots });
    const done = await settled(t.db, 60_000);
    expect(done.filter((j) => j.status === 'done' && j.attempts === 1)).toHaveLength(15);
    expect(hubspot.contacts.size).toBe(15);
    expect(hubspot.requests.length).toBeGreaterThanOrEqual(32);
    expect(maxInAnyWindow(hubspot.requests, 1000)).toBeLessThanOrEqual(10);
  });
});
