import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Database } from '../../src/db/index.js';
import { startHubspotEmulator, startSlackEmulator, type HubspotEmulator, type SlackEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, STRIPE_SECRET, stripeRequest } from '../support/app.js';
import { createTestDb, DB_KINDS, type TestDb } from '../support/db.js';
import { spawnHandoff, type HandoffProcess } from '../support/process.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, waitUntil } from '../support/wait.js';

const N = 120;
const KILL_AFTER = 50;

/**
 * kill -9 under load: every event Handoff acknowledged (200) must have its effects delivered after a
 * restart, and no CRM contact may exist twice. Unacknowledged events are re-sent, as Stripe would.
 */
describe.each(DB_KINDS)('kill -9 under load on %s', (kind) => {
  let t: TestDb | undefined;
  let dataDir: string | undefined;
  let hubspot: HubspotEmulator;
  let slack: SlackEmulator;
  const procs: HandoffProcess[] = [];

  beforeAll(async () => {
    if (kind === 'postgres') t = await createTestDb('postgres');
    else dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-crash-'));
    // Rate limiting is exercised elsewhere; here it would only stretch the run.
    hubspot = await startHubspotEmulator({ rateLimit: { max: 100_000, intervalMs: 10_000 } });
    slack = await startSlackEmulator();
  });
  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await hubspot.close();
    await slack.close();
    await t?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    ...(t ? { DATABASE_URL: t.url! } : { HANDOFF_DATA_DIR: dataDir! }),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    SLACK_WEBHOOK_URL: slack.url,
    // Pacing is exercised elsewhere; at Slack's real 1/s the 120 alerts alone would take two minutes.
    SLACK_RATE_LIMIT: '1000/1s',
    JOB_LEASE_MS: '1500',
    HTTP_TIMEOUT_MS: '1000',
    DISPATCH_POLL_MS: '100',
    RETRY_BASE_MS: '50',
  });
  const start = async () => {
    const p = spawnHandoff(['start'], env());
    procs.push(p);
    const [, url] = await p.waitFor(/listening on\s+(http:\/\/\S+)/, 60_000);
    return { p, url: url! };
  };

  it('delivers every acknowledged event after a restart, no contact twice', async () => {
    const events = Array.from({ length: N }, (_, i) =>
      stripeEvent('invoice.payment_failed', 'invoice', {
        id: `in_crash_${i}`,
        customer: `cus_crash_${i}`,
        customer_email: `crash${i}@example.com`,
        amount_due: 2900,
        subscription: null,
        parent: null,
      }),
    );
    const acked = new Set<number>();
    let a = await start();
    let next = 0;
    const send = async (url: string, i: number) => {
      try {
        const res = await fetch(`${url}/api/webhooks/stripe`, stripeRequest(events[i]) as RequestInit);
        if (res.status === 200) acked.add(i);
        else expect(res.status).toBe(200);
      } catch {
        // connection refused/reset: not acknowledged, so the sender will retry
      }
    };
    // 8 concurrent senders; the process is killed once KILL_AFTER events were acknowledged.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N && a.p.proc.exitCode === null && a.p.proc.signalCode === null) {
          const i = next++;
          await send(a.url, i);
          if (acked.size >= KILL_AFTER && a.p.proc.signalCode === null) a.p.proc.kill('SIGKILL');
        }
      }),
    );
    await a.p.exited;
    const ackedBeforeCrash = acked.size;
    expect(ackedBeforeCrash).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(ackedBeforeCrash).toBeLessThan(N);

    // Restart on the same database; the sender retries everything it has no 200 for (and a few it has).
    const b = await start();
    const resend = events.map((_, i) => i).filter((i) => !acked.has(i) || i % 10 === 0);
    for (const i of resend) await send(b.url, i);
    expect(acked.size).toBe(N);

    await waitUntil(async () => hubspot.contacts.size === N && new Set(slack.messages.map((m) => m.text)).size >= N, 60_000, 'all effects');
    b.p.proc.kill('SIGTERM');
    expect((await b.p.exited).code).toBe(0);

    let db: Database = t?.db ?? (await openPglite(dataDir));
    try {
      // Alert messages (a circuit that opened while the machine was loaded, say) are not the events' effects:
      // they are counted apart, and only bound the Slack total below.
      const alerts = (await jobs(db)).filter((j) => j.idempotency_key.startsWith('alert:'));
      const all = (await jobs(db)).filter((j) => !j.idempotency_key.startsWith('alert:'));
      // One CRM sync + one alert per event, however often it was sent; the dunning email is recorded as
      // skipped (no email connector here).
      const byConnector = (c: string) => all.filter((j) => j.connector === c);
      // Per connector first: a failure then says which effect was queued once too often (or not at all).
      expect(Object.fromEntries(['email', 'hubspot', 'slack'].map((c) => [c, byConnector(c).length]))).toEqual({ email: N, hubspot: N, slack: N });
      expect(all).toHaveLength(3 * N);
      expect(byConnector('email').every((j) => j.status === 'skipped')).toBe(true);
      expect(all.filter((j) => j.connector !== 'email' && j.status !== 'done')).toEqual([]);
      // Slack has no idempotency key: only a job in flight at the kill (re-run after its lease) may repeat.
      const rerun = all.filter((j) => j.connector === 'slack' && j.attempts > 1).length;
      expect(slack.messages.length).toBeLessThanOrEqual(N + rerun + alerts.filter((j) => j.connector === 'slack').length);
      for (let i = 0; i < N; i++) expect(hubspot.contacts.get(`crash${i}@example.com`)?.properties.handoff_lifecycle).toBe('past_due');
      // A job re-run after the kill finds its contact by email (PATCH) instead of creating it again.
      expect(hubspot.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts' && !r.fault)).toHaveLength(N);
      const inbox = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events');
      expect(inbox.rows[0]!.n).toBe(N);
    } finally {
      if (!t) await db.close();
    }
  });
});
