import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator, startSlackEmulator, type HubspotEmulator, type SlackEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, STRIPE_SECRET, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, settled, waitUntil } from '../support/wait.js';
import { cli, closedPort } from './cli.js';

/**
 * jobs, jobs retry, keys and trace against a running instance: through its admin API (the way for an
 * embedded database a server owns) on both databases, and directly on PostgreSQL — same answers.
 */
describe.each(DB_KINDS)('handoff jobs, keys and trace on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  let hubspot: HubspotEmulator;
  let slack: SlackEmulator;

  beforeEach(async () => {
    hubspot = await startHubspotEmulator();
    slack = await startSlackEmulator();
    rt = await startTestApp(t, {
      web: true,
      worker: true,
      env: { HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url, SLACK_WEBHOOK_URL: slack.url },
    });
  });
  afterEach(async () => {
    await rt.close();
    await hubspot.close();
    await slack.close();
  });

  /** The CLI's environment: a server to use, its admin token (no DATABASE_URL: the API is the way in). */
  const api = () => ({ HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });

  /** A failed payment whose HubSpot sync is refused for good (400) and whose Slack alert goes through. */
  async function deadHubspotJob(n = 'ann') {
    hubspot.faults.failFor(60_000, { status: 400, match: { path: '/crm/v3/objects/contacts' } });
    const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: `in_${n}`, customer: `cus_${n}`, customer_email: `${n}@example.com`, subscription: null, parent: null });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
    const all = await settled(t.db);
    const dead = all.find((j) => j.connector === 'hubspot' && j.status === 'dead');
    expect(dead, JSON.stringify(all)).toBeDefined();
    return dead!;
  }

  it('jobs lists dead letters with their last error (text and --json), through the admin API', async () => {
    const dead = await deadHubspotJob();
    const text = await cli(['jobs', '--status', 'dead'], api());
    expect(text.code).toBe(0);
    expect(text.err).toContain(`from the admin API at ${rt.url}`);
    expect(text.out).toMatch(new RegExp(`^#${dead.id}\\s+dead\\s+hubspot ${dead.kind}\\s+1/12\\s+ann@example.com\\s+stripe invoice.payment_failed`, 'm'));
    expect(text.out).toMatch(/last error: .*hubspot \w+ → HTTP 400/);

    const json = await cli(['jobs', '--json', '--connector', 'hubspot'], api());
    expect(json.code).toBe(0);
    expect(json.json().jobs.map((j: { id: number; status: string }) => [j.id, j.status])).toEqual([[dead.id, 'dead']]);
    expect((await cli(['jobs', '--status', 'pending'], api())).out).toBe('no jobs (pending)\n');
  });

  it('jobs retry <id> queues the dead job again with its idempotency key; the dispatcher delivers it once', async () => {
    const dead = await deadHubspotJob();
    hubspot.faults.clear();
    const r = await cli(['jobs', 'retry', String(dead.id)], api());
    expect(r.code).toBe(0);
    expect(r.out).toBe(`queued again: job #${dead.id} hubspot ${dead.kind} (idempotency key ${dead.idempotency_key})\n`);

    const done = await waitUntil(async () => (await jobs(t.db)).find((j) => j.id === dead.id && j.status === 'done'), 20_000, 'retried job done');
    expect(done).toMatchObject({ idempotency_key: dead.idempotency_key, attempts: 1, last_error: null });
    expect(hubspot.contacts.has('ann@example.com')).toBe(true);
    expect((await jobs(t.db)).filter((j) => j.connector === 'hubspot')).toHaveLength(1); // the same row, not a copy

    const trace = await cli(['trace', 'ann@example.com'], api());
    expect(trace.code).toBe(0);
    expect(trace.out).toMatch(new RegExp(`job #${dead.id} hubspot ${dead.kind} queued again by an operator \\(had failed: .*HTTP 400`));
    expect(trace.out).toMatch(new RegExp(`job #${dead.id} hubspot ${dead.kind}  done after 1 attempt`));

    const again = await cli(['jobs', 'retry', String(dead.id)], api());
    expect(again.code).toBe(1);
    expect(again.err).toContain(`job #${dead.id} is done, not dead: only dead jobs can be retried`);
  });

  it('jobs retry --all-dead [--connector] and its usage errors', async () => {
    const a = await deadHubspotJob('ann');
    const b = await deadHubspotJob('bob');
    expect((await cli(['jobs', 'retry', '--all-dead', '--connector', 'slack', '--json'], api())).json()).toEqual({ retried: 0, jobs: [] });
    hubspot.faults.clear();
    const r = await cli(['jobs', 'retry', '--all-dead', '--connector', 'hubspot'], api());
    expect(r.code).toBe(0);
    expect(r.out).toContain(`queued again: job #${a.id} hubspot`);
    expect(r.out).toContain(`queued again: job #${b.id} hubspot`);
    expect(r.out).toContain('2 dead jobs queued again');
    await waitUntil(async () => (await jobs(t.db)).filter((j) => j.connector === 'hubspot').every((j) => j.status === 'done'), 20_000, 'both delivered');

    for (const [argv, text] of [
      [['jobs', 'retry'], 'give either a job id or --all-dead'],
      [['jobs', 'retry', '1', '--all-dead'], 'give either a job id or --all-dead'],
      [['jobs', 'retry', '1', '--connector', 'hubspot'], '--connector goes with --all-dead'],
      [['jobs', 'retry', '--all-dead', '--connector', 'salesforce'], 'connector must be one of hubspot, slack, zendesk, email, webhook'],
      [['jobs', 'retry', 'abc'], 'job id must be a positive integer'],
      [['jobs', '--status', 'broken'], 'status must be one of'],
      [['jobs', '--limit', '0'], '--limit must be an integer from 1 to 1000'],
      [['jobs', '--nope'], "Unknown option '--nope'"],
    ] as const) {
      const u = await cli([...argv], api());
      expect([argv.join(' '), u.code]).toEqual([argv.join(' '), 2]);
      expect(u.err).toContain(text);
    }
    const missing = await cli(['jobs', 'retry', '999999'], api());
    expect([missing.code, missing.err.trim()]).toEqual([1, 'no job #999999']);
  });

  it('keys create prints the key once (alone on stdout); keys list shows it; keys revoke stops it', async () => {
    const created = await cli(['keys', 'create', '--name', 'web app', '--scope', 'events:write'], api());
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^hk_\S{32}$/);
    expect(created.out).toBe(`${key}\n`);
    expect(created.err).toContain('It is shown only this once');
    expect(created.err).not.toContain(key);
    const event = (id: string) => appEventRequest({ id, type: 'user.signed_up', customer: { email: 'k@example.com' } }, key);
    expect((await fetch(`${rt.url}/api/events`, event('k1'))).status).toBe(200);

    const list = await cli(['keys', 'list'], api());
    expect(list.out).toMatch(new RegExp(`${key.slice(0, 10)}…\\s+web app\\s+events:write\\s+\\S+ \\S+\\s+live`));
    expect(list.out).not.toContain(key);
    expect((await cli(['keys'], api())).out).toBe(list.out);

    const revoked = await cli(['keys', 'revoke', key.slice(0, 10)], api());
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/^revoked API key \S+ "web app"/);
    expect((await fetch(`${rt.url}/api/events`, event('k2'))).status).toBe(401);
    expect((await cli(['keys', 'list', '--json'], api())).json().keys.find((k: { name: string }) => k.name === 'web app').revokedAt).not.toBeNull();

    const bad = await cli(['keys', 'create', '--name', 'x', '--scope', 'events:write', '--scope', 'admin'], api());
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown scope "admin": valid scopes are events:write, chatbot:act');
    expect((await cli(['keys', 'revoke', 'hk_unknown'], api())).code).toBe(1);
    expect((await cli(['keys', 'revoke'], api())).code).toBe(2);
  });

  it('trace shows identities, state and each event with its transition and jobs; --json is the customer view', async () => {
    const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: 'in_tr', customer: 'cus_tr', customer_email: 'tr@example.com', subscription: null, parent: null });
    await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    await rt.app.request('/api/events', appEventRequest({ id: 'u1', type: 'user.signed_up', customer: { email: 'tr@example.com', name: 'Tracy' } }));
    await settled(t.db);

    for (const ref of ['tr@example.com', 'cus_tr', 'TR@example.com']) {
      const r = await cli(['trace', ref], api());
      expect([ref, r.code]).toEqual([ref, 0]);
      const lines = r.out.split('\n');
      expect(lines[0]).toMatch(/^Customer \S+  tr@example.com  \(Tracy\)$/);
      expect(r.out).toMatch(/lifecycle\s+past_due/);
      expect(r.out).toMatch(/identities\s+.*email tr@example.com.*stripe_customer cus_tr|identities\s+.*stripe_customer cus_tr.*email tr@example.com/);
      const head = lines.findIndex((l) => l.includes(`stripe invoice.payment_failed ${evt.id}  → applied`));
      expect(head).toBeGreaterThan(0);
      // Under the event: the transition first, then its jobs with each provider's answer.
      expect(lines[head + 1]).toMatch(/^ {4}state new → past_due \(rule payment_failed\)|^ {4}state lead → past_due \(rule payment_failed\)/);
      expect(lines.slice(head + 2, head + 5).join('\n')).toMatch(/job #\d+ hubspot \S+  done after 1 attempt/);
      expect(lines.slice(head + 2, head + 5).join('\n')).toMatch(/job #\d+ slack \S+  done after 1 attempt/);
      expect(r.out).toMatch(/app user.signed_up u1  → applied\n {4}state stays past_due \(rule signup\)/);
    }
    const j = await cli(['trace', 'cus_tr', '--json'], api());
    const view = j.json();
    expect(view).toMatchObject({ email: 'tr@example.com', lifecycle: 'past_due' });
    expect(view.events.map((e: { type: string }) => e.type)).toEqual(['invoice.payment_failed', 'user.signed_up']);
    const direct = await (await fetch(`${rt.url}/api/customers/cus_tr`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(view).toEqual(direct);

    const none = await cli(['trace', 'nobody@example.com'], api());
    expect([none.code, none.err.trim()]).toEqual([1, 'no customer matches "nobody@example.com"']);
    const js = await cli(['trace', 'nobody@example.com', '--json'], api());
    expect(js.json()).toEqual({ error: 'failed', message: 'no customer matches "nobody@example.com"' });
  });

  it('says what to do when the admin token is missing or wrong, or no server answers', async () => {
    const noToken = await cli(['jobs'], { HANDOFF_URL: rt.url! });
    expect(noToken.code).toBe(3);
    expect(noToken.err).toContain(`a Handoff server answers at ${rt.url}, but HANDOFF_ADMIN_TOKEN is not set`);
    const wrong = await cli(['jobs'], { HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: 'not-the-token-0123456789' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`the server at ${rt.url} refused the admin token`);
    expect(wrong.err).toContain('fix: set HANDOFF_ADMIN_TOKEN');
    expect(wrong.err).not.toContain('not-the-token');
    const port = await closedPort();
    const gone = await cli(['jobs', '--url', `http://127.0.0.1:${port}`], api());
    expect(gone.code).toBe(3);
    expect(gone.err).toContain(`no Handoff server answered at http://127.0.0.1:${port} (connection refused)`);
    const goneNoToken = await cli(['jobs', '--url', `http://127.0.0.1:${port}`], {});
    expect([goneNoToken.code, goneNoToken.err.split('\n')[0]]).toEqual([3, `no Handoff server answered at http://127.0.0.1:${port} (connection refused)`]);
    const notUrl = await cli(['jobs', '--url', 'ftp://x'], api());
    expect(notUrl.code).toBe(2);
  });

  if (kind === 'postgres') {
    it('with DATABASE_URL, reads and changes PostgreSQL directly — the same answers as the admin API', async () => {
      const dead = await deadHubspotJob();
      const directEnv = { DATABASE_URL: t.url!, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET };
      const viaApi = (await cli(['jobs', '--json'], api())).json();
      const direct = await cli(['jobs', '--json'], directEnv);
      expect(direct.code).toBe(0);
      expect(direct.json()).toEqual(viaApi);
      expect((await cli(['trace', 'ann@example.com', '--json'], directEnv)).json()).toEqual((await cli(['trace', 'ann@example.com', '--json'], api())).json());

      hubspot.faults.clear();
      expect((await cli(['jobs', 'retry', String(dead.id)], directEnv)).code).toBe(0);
      // The running dispatcher is woken (NOTIFY) or polls, and delivers it.
      await waitUntil(async () => (await jobs(t.db)).find((j) => j.id === dead.id && j.status === 'done'), 20_000, 'delivered');

      const key = (await cli(['keys', 'create', '--name', 'direct', '--scope', 'chatbot:act,events:write'], directEnv)).out.trim();
      expect((await cli(['keys', 'list', '--json'], api())).json().keys.find((k: { name: string }) => k.name === 'direct').scopes).toEqual(['chatbot:act', 'events:write']);
      expect((await fetch(`${rt.url}/api/events`, appEventRequest({ id: 'd1', type: 'user.signed_up', customer: { email: 'd@example.com' } }, key))).status).toBe(200);

      const port = await closedPort();
      const down = await cli(['jobs'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none` });
      expect(down.code).toBe(3);
      expect(down.err).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}/none (`);
      expect(down.err).toContain('fix: check DATABASE_URL');
    });
  }
});
