import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { alertMessages, waitForAlert } from '../monitor/support.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, type TestDb, useTestDb } from '../support/db.js';
import { paidCustomer, providerEnv, startProviders, type Providers } from './support.js';

const TITLE = 'Customer state drifted from the providers';

/**
 * The scheduled reconcile with two workers on one database: runs never overlap (one worker at a time
 * holds the slot), drift found by the schedule opens the drift_detected alert once, and a later clean
 * scheduled run resolves it once. On PostgreSQL the second worker has its own connection pool, as a
 * separate process would.
 */
describe.each(DB_KINDS)('scheduled reconcile on %s', (kind) => {
  const t = useTestDb(kind);
  let other: TestDb;
  let p: Providers;
  let slack: SlackEmulator;
  const runtimes: TestApp[] = [];

  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await openPostgres(t.url!);
      other = { db, kind, url: t.url, drop: () => db.close() };
    } else other = t;
    p = await startProviders();
    slack = await startSlackEmulator();
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((rt) => rt.close()));
    if (other !== t) await other.drop();
    await slack?.close();
    await p?.close();
  });

  it('runs on one worker at a time; drift opens drift_detected once, a clean run resolves it once', async () => {
    const env = providerEnv(p, { RECONCILE_INTERVAL_MS: '300', ALERT_EVAL_INTERVAL_MS: '100', SLACK_WEBHOOK_URL: slack.url, SLACK_RATE_LIMIT: '100/1s' });
    for (const db of [t, other]) runtimes.push(await startTestApp(db, { worker: true, env }));
    const [a] = runtimes as [TestApp, TestApp];

    const { email } = await paidCustomer(a, p, 'scheduled');
    p.hub.edit(email, { handoff_lifecycle: 'churned' }); // someone changes the CRM by hand
    await waitForAlert(slack, TITLE, { opened: 1, resolved: 0 });
    const opened = alertMessages(slack, TITLE).opened[0]!;
    expect(opened).toContain('1 difference for 1 customer (hubspot 1)');

    p.hub.edit(email, { handoff_lifecycle: 'paid' }); // and puts it back: the next scheduled run is clean
    await waitForAlert(slack, TITLE, { opened: 1, resolved: 1 });

    const { rows } = await t.db.query<{ run_by: string; started_at: Date; finished_at: Date; drift_count: number }>(
      "SELECT run_by, started_at, finished_at, drift_count FROM drift_reports WHERE trigger = 'schedule' ORDER BY started_at",
    );
    expect(rows.some((r) => r.drift_count > 0)).toBe(true);
    expect(new Set(rows.map((r) => r.run_by)).size).toBeLessThanOrEqual(2);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at.getTime());
    const incidents = await t.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM alert_incidents WHERE rule = 'drift_detected'");
    expect(incidents.rows[0]!.n).toBe(1);
  });

  it('stops with its worker: no scheduled run starts after close', async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
    const count = async () => Number((await t.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM drift_reports WHERE trigger = 'schedule'")).rows[0]!.n);
    const before = await count();
    // Longer than several intervals; nothing runs reconcile any more.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await count()).toBe(before);
    const slot = await t.db.query<{ running_by: string | null }>('SELECT running_by FROM reconcile_schedule');
    expect(slot.rows[0]?.running_by ?? null).toBeNull();
  });
});
