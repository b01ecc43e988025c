import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { adminHeaders, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { type TestDb, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';
import { alertMessages, evaluations, FAST_ALERTS, getAlerts, waitForAlert } from './support.js';

/**
 * Several processes on one PostgreSQL database: each runs the evaluator, one evaluates at a time, and
 * an incident is announced once. When the leader stops, another process takes over and resolves it.
 * (PostgreSQL only: an embedded PGlite database belongs to one process.)
 */
describe('alert leader election on postgres', () => {
  const t = useTestDb('postgres', { emptyEach: true });
  let second: TestDb;
  let slack: SlackEmulator;
  const runtimes: TestApp[] = [];

  beforeAll(async () => {
    // The second runtime gets its own connection pool, as a separate process would.
    const db = await openPostgres(t.url!);
    second = { db, kind: 'postgres', url: t.url, drop: () => db.close() };
  });
  afterAll(async () => {
    await second.drop();
  });
  beforeEach(async () => {
    slack = await startSlackEmulator();
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
    await slack.close();
  });

  const start = async (db: TestDb) => {
    const rt = await startTestApp(db, { worker: true, env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS } });
    runtimes.push(rt);
    return rt;
  };

  it('three runtimes → one "opened" message; the leader stops → another resolves it, once', async () => {
    const a = await start(t);
    await waitUntil(async () => (await getAlerts(a)).evaluator.last_evaluated_by, 10_000, 'a first leader');
    const leader = (await getAlerts(a)).evaluator.last_evaluated_by;
    const b = await start(second);
    const c = await start(second);

    slack.faults.push({ status: 400 });
    const evt = stripeEvent('charge.refunded', 'charge', { id: 'ch_lead', customer: 'cus_lead', billing_details: { email: 'lead@example.com' }, amount_refunded: 1000, refunded: false });
    expect((await b.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
    await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 0 });
    await evaluations(b, 5);
    expect(alertMessages(slack, 'Dead-lettered jobs').opened).toHaveLength(1);
    // The first process stayed leader while it kept evaluating.
    expect((await getAlerts(c)).evaluator.last_evaluated_by).toBe(leader);

    // The leader stops; one of the others takes over at its next tick.
    await a.close();
    await waitUntil(async () => {
      const by = (await getAlerts(b)).evaluator.last_evaluated_by;
      return by && by !== leader;
    }, 10_000, 'a new leader');
    expect((await b.app.request('/api/admin/jobs/retry-dead', { method: 'POST', headers: adminHeaders })).status).toBe(200);
    await waitForAlert(slack, 'Dead-lettered jobs', { opened: 1, resolved: 1 });
    await evaluations(c, 5);
    expect(alertMessages(slack, 'Dead-lettered jobs')).toMatchObject({ opened: [expect.any(String)], resolved: [expect.any(String)] });
    const incidents = await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM alert_incidents');
    expect(incidents.rows[0]?.n).toBe(1);
  });
});
