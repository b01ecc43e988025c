import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RULE_NAMES } from '../../src/monitor/index.js';
import {
  startHubspotEmulator,
  RESEND_TEST_KEY,
  startResendEmulator,
  startSlackEmulator,
  startZendeskEmulator,
  ZENDESK_TEST_EMAIL,
  ZENDESK_TEST_TOKEN,
  type HubspotEmulator,
  type ResendEmulator,
  type SlackEmulator,
  type ZendeskEmulator,
} from '../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, STRIPE_SECRET, appEventRequest, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { jobs } from '../support/wait.js';
import { cli } from './cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'handoff-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * handoff doctor against a running instance: database, migrations, dispatcher and backlog (through the
 * server's admin API on PGlite, directly on PostgreSQL) and each connector's credentials against the
 * provider emulators.
 */
describe.each(DB_KINDS)('handoff doctor on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  let hubspot: HubspotEmulator;
  let slack: SlackEmulator;
  let zendesk: ZendeskEmulator;
  let resend: ResendEmulator;

  beforeEach(async () => {
    [hubspot, slack, zendesk, resend] = await Promise.all([startHubspotEmulator(), startSlackEmulator(), startZendeskEmulator(), startResendEmulator()]);
  });
  afterEach(async () => {
    await rt?.close();
    await Promise.all([hubspot.close(), slack.close(), zendesk.close(), resend.close()]);
  });

  /** Connectors as the instance runs them; the data is reached the way each database allows. */
  const env = (extra: Record<string, string | undefined> = {}) => ({
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    SLACK_WEBHOOK_URL: slack.url,
    ZENDESK_BASE_URL: zendesk.url,
    ZENDESK_EMAIL: ZENDESK_TEST_EMAIL,
    ZENDESK_API_TOKEN: ZENDESK_TEST_TOKEN,
    ...(kind === 'postgres' ? { DATABASE_URL: t.url! } : { HANDOFF_URL: rt.url! }),
    ...extra,
  });
  // The instance's own alert evaluator is off: the doctor's unsigned probe must not open an incident mid-test.
  const start = (worker: boolean) =>
    startTestApp(t, { web: true, worker, env: { HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url, ALERT_EVAL_INTERVAL_MS: '0' } });
  const line = (out: string, title: string) => out.split('\n').find((l) => l.slice(2).startsWith(`${title} `)) ?? `(no line for ${title})`;

  it('passes every check of a healthy instance, reading providers without writing to them', async () => {
    rt = await start(true);
    const r = await cli(['doctor', '--url', rt.url!], env());
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const via = kind === 'postgres' ? '' : ` (through the admin API at ${rt.url})`;
    expect(r.out.split('\n').slice(0, 12)).toEqual([
      `✓ configuration                valid (development; ${kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite at ./.handoff'})`,
      expect.stringMatching(new RegExp(`^✓ database\\s+${kind === 'postgres' ? 'PostgreSQL at ' : 'embedded PGlite \\(in memory\\)'}.* answers${via.replace(/[()]/g, '\\$&')}$`)),
      expect.stringMatching(/^✓ migrations\s+current \(\d+ migrations applied\)$/),
      '✓ dispatcher                   1 dispatcher with a recent heartbeat',
      '✓ backlog: oldest pending job  no pending jobs',
      '✓ backlog: dead letters        none',
      '✓ backlog: stuck leases        none',
      '✓ hubspot                      token accepted (GET /crm/v3/objects/contacts?limit=1 → 200)',
      '✓ zendesk                      credentials accepted (GET /api/v2/tickets.json → 200)',
      '✓ slack                        SLACK_WEBHOOK_URL is set; not checkable without sending a message (Slack webhooks have no read)',
      `✓ health endpoint              GET ${rt.url}/api/health → 200`,
      `✓ stripe webhook route         POST ${rt.url}/api/webhooks/stripe without a signature → 400 invalid_signature: deployed, and it verifies signatures`,
    ]);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('all 12 checks pass');
    expect(hubspot.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /crm/v3/objects/contacts?limit=1']);
    expect(zendesk.requests.map((q) => q.method)).toEqual(['GET']);
    expect(slack.requests).toEqual([]);
  });

  it('Resend: the key is accepted and EMAIL_FROM\'s domain must be verified in the account', async () => {
    rt = await start(true);
    const domains = await startResendEmulator({ domains: [{ name: 'acme.test', status: 'verified' }, { name: 'beta.test', status: 'pending' }] });
    try {
      const email = (from: string) => env({ RESEND_API_KEY: RESEND_TEST_KEY, RESEND_BASE_URL: domains.url, EMAIL_FROM: from });
      const ok = await cli(['doctor'], email('Acme <billing@acme.test>'));
      expect(line(ok.out, 'email (resend)')).toBe("✓ email (resend)               RESEND_API_KEY accepted; EMAIL_FROM's domain acme.test is verified");
      const pending = await cli(['doctor'], email('Beta <billing@beta.test>'));
      expect(line(pending.out, 'email (resend)')).toBe("✗ email (resend)               EMAIL_FROM's domain beta.test is pending in Resend, not verified: emails to customers are refused");
      const unknown = await cli(['doctor'], email('Gamma <billing@gamma.test>'));
      expect(line(unknown.out, 'email (resend)')).toMatch(/^✗ email \(resend\)\s+RESEND_API_KEY accepted, but EMAIL_FROM's domain gamma.test is not a domain of this Resend account$/);
      // Reads only: nothing was sent.
      expect(domains.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /domains', 'GET /domains', 'GET /domains']);
    } finally {
      await domains.close();
    }
  });

  it('fails with the fix: no dispatcher, an old pending job, a dead letter, a stuck lease, rejected credentials', async () => {
    rt = await start(false);
    for (const n of ['a', 'b', 'c']) {
      expect((await rt.app.request('/api/events', appEventRequest({ id: n, type: 'user.signed_up', customer: { email: `${n}@example.com` } }))).status).toBe(200);
    }
    const [a, b, c] = await jobs(t.db);
    await t.db.query(`UPDATE jobs SET status = 'dead', attempts = 1, last_error = 'hubspot POST → HTTP 400: bad', finished_at = now() WHERE id = $1`, [a!.id]);
    await t.db.query(`UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'gone', locked_until = now() - interval '1 minute' WHERE id = $1`, [b!.id]);
    await t.db.query(`UPDATE jobs SET created_at = now() - interval '61 minutes', attempts = 4, last_error = 'hubspot POST → HTTP 503' WHERE id = $1`, [c!.id]);

    const wrong = {
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-wrong-token',
      ZENDESK_API_TOKEN: 'zd-wrong-token-0123456789',
      RESEND_API_KEY: 're_wrong_key_0123456789',
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Acme <billing@acme.test>',
    };
    const r = await cli(['doctor'], env(wrong));
    expect(r.code).toBe(1);
    const out = r.out;
    expect(line(out, 'dispatcher')).toBe('✗ dispatcher                   no dispatcher has a recent heartbeat: queued side effects are not being delivered');
    expect(out).toContain('    fix: start one: handoff start (web + dispatcher) or handoff worker');
    expect(line(out, 'backlog: oldest pending job')).toBe(
      `✗ backlog: oldest pending job  job #${c!.id} hubspot ${c!.kind} has waited 1 h 1 min (limit 10 min) after 4 attempts; last error: hubspot POST → HTTP 503; 1 pending job`,
    );
    expect(line(out, 'backlog: dead letters')).toBe('✗ backlog: dead letters        1 dead job (hubspot 1; limit 0)');
    expect(out).toContain('    fix: read their last errors with handoff jobs --status dead, fix the cause, then handoff jobs retry --all-dead');
    expect(line(out, 'backlog: stuck leases')).toBe('✗ backlog: stuck leases        1 running job whose lease expired (limit 0): their worker stopped mid-job');
    expect(line(out, 'hubspot')).toBe('✗ hubspot                      HUBSPOT_ACCESS_TOKEN was rejected (401)');
    expect(line(out, 'zendesk')).toBe('✗ zendesk                      ZENDESK_EMAIL / ZENDESK_API_TOKEN were rejected (401)');
    expect(line(out, 'email (resend)')).toBe('✗ email (resend)               RESEND_API_KEY was rejected (403 invalid_api_key)');
    expect(out).toContain('    fix: create an API key in Resend (API Keys) and set RESEND_API_KEY');
    expect(out.trimEnd().split('\n').at(-1)).toBe('7 of 11 checks fail');
    for (const secret of Object.values(wrong).slice(0, 3)) expect(out + r.err).not.toContain(secret);

    // Thresholds are configuration: flags, and ALERT_OLDEST_PENDING_MS as the pending default.
    const lenient = await cli(['doctor', '--max-dead', '1', '--max-stuck', '1'], env({ ALERT_OLDEST_PENDING_MS: String(2 * 3_600_000) }));
    expect(line(lenient.out, 'backlog: oldest pending job')).toMatch(/^✓ .*has waited 1 h 1 min \(limit 2 h\)/);
    expect(line(lenient.out, 'backlog: dead letters')).toBe('✓ backlog: dead letters        1 (limit 1)');
    expect(line(lenient.out, 'backlog: stuck leases')).toBe('✓ backlog: stuck leases        1 (limit 1)');
    const flag = await cli(['doctor', '--max-pending-age', '90m'], env());
    expect(line(flag.out, 'backlog: oldest pending job')).toMatch(/limit 1 h 30 min\)/);
    expect((await cli(['doctor', '--max-pending-age', 'soon'], env())).code).toBe(2);
  });

  it('--report writes the handover checklist (variable names, never values) and --json prints the checks', async () => {
    rt = await start(true);
    const report = path.join(dir, `handover-${kind}.md`);
    const r = await cli(['doctor', '--url', rt.url!, '--report', report, '--json'], env({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-rejected-0123', METRICS_TOKEN: 'metrics-secret-0123456789' }));
    expect(r.code).toBe(1);
    const j = r.json<{ ok: boolean; checks: Array<{ id: string; status: string; fix?: string }>; report: string }>();
    expect(j.ok).toBe(false);
    expect(j.report).toBe(report);
    expect(j.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['connector.hubspot']);
    expect(j.checks.map((c) => c.id)).toEqual([
      'config', 'database', 'migrations', 'dispatcher', 'backlog.pending', 'backlog.dead', 'backlog.stuck',
      'connector.hubspot', 'connector.zendesk', 'connector.slack', 'url.health', 'url.stripe',
    ]);

    const md = readFileSync(report, 'utf8');
    expect(md).toMatch(/^# Handoff launch handover\n/);
    expect(md).toContain('Result: **1 of 12 checks fail** (11 pass).');
    expect(md).toContain('| ✗ | hubspot | HUBSPOT_ACCESS_TOKEN was rejected (401) | create a private app in HubSpot');
    expect(md).toContain('| ✓ | stripe webhook route |');
    expect(md).toMatch(/\| HubSpot \| enabled \| HUBSPOT_ACCESS_TOKEN, HUBSPOT_BASE_URL \| HUBSPOT_LIFECYCLE_MAP, HUBSPOT_STATE_PROPERTY, HUBSPOT_RATE_LIMIT \|/);
    expect(md).toMatch(/\| Email \(Resend\) \| off \| — \| RESEND_API_KEY, EMAIL_FROM/);
    expect(md).toContain('METRICS_TOKEN');
    for (const rule of RULE_NAMES) expect(md).toContain(`| ${rule} |`);
    expect(md).toContain('| doctor: oldest pending job | 10 min |');
    expect(md).toContain('- [ ] **hubspot**: create a private app in HubSpot');
    expect(md).toContain(`point an endpoint at ${rt.url}/api/webhooks/stripe`);
    expect(md).toContain('Decide whether you need Email (Resend)');
    for (const value of ['pat-na1-rejected-0123', 'metrics-secret-0123456789', ADMIN_TOKEN, API_KEY, STRIPE_SECRET, ZENDESK_TEST_TOKEN, slack.url]) {
      expect(md).not.toContain(value);
    }
  });
});
