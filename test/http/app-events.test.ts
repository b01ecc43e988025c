import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clerkUserCreated } from '../support/clerk.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { ADMIN_TOKEN, adminHeaders, API_KEY, appEventRequest, clerkRequest, startTestApp, writeCounts, type TestApp } from '../support/app.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { systemIds } from '../../src/clock.js';
import { sql } from '../../src/db/index.js';
import { hashApiKey } from '../../src/ingest/index.js';

describe.each(DB_KINDS)('app events, Clerk and the customer API on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
  });
  afterAll(async () => {
    await rt.close();
  });
  beforeEach(async () => {
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
  });

  const signup = (id: string, email = 'Jane@Example.com') => ({ id, type: 'user.signed_up', customer: { email, user_id: 'u_1', name: 'Jane Doe' } });

  it('records an app event with a valid key: 200, a lead, a CRM job', async () => {
    const res = await rt.app.request('/api/events', appEventRequest(signup('e1')));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    const c = await rt.app.request('/api/customers/jane@example.com', { headers: adminHeaders });
    expect(c.status).toBe(200);
    const body = (await c.json()) as { email: string; lifecycle: string; identities: Array<{ kind: string; value: string }>; timeline: Array<{ type: string }> };
    expect(body.email).toBe('jane@example.com');
    expect(body.lifecycle).toBe('lead');
    expect(body.identities).toEqual(expect.arrayContaining([{ kind: 'email', value: 'jane@example.com' }, { kind: 'app_user', value: 'u_1' }]));
    expect(body.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['transition', 'job']));
  });

  it('401 without a key, with a wrong key, and with a revoked key; nothing written', async () => {
    expect((await rt.app.request('/api/events', { method: 'POST', body: JSON.stringify(signup('e2')) })).status).toBe(401);
    expect((await rt.app.request('/api/events', appEventRequest(signup('e2'), 'hk_wrong_key_000000000000'))).status).toBe(401);
    await t.db.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [hashApiKey(API_KEY)]);
    expect((await rt.app.request('/api/events', appEventRequest(signup('e2')))).status).toBe(401);
    expect((await writeCounts(rt)).inbox).toBe(0);
  });

  it('403 for a key without the events:write scope', async () => {
    const key = 'hk_test_chatbot_only_key_000000';
    await t.db.query(sql.insertApiKey, ['k2', 'bot', key.slice(0, 10), hashApiKey(key), ['chatbot:act']]);
    expect((await rt.app.request('/api/events', appEventRequest(signup('e3'), key))).status).toBe(403);
  });

  it('400 with field errors for malformed JSON, a missing identity and a bad type', async () => {
    const bad = await rt.app.request('/api/events', appEventRequest('{"id": '));
    expect(bad.status).toBe(400);
    const noIdentity = await rt.app.request('/api/events', appEventRequest({ id: 'e4', type: 'user.signed_up', customer: {} }));
    expect(noIdentity.status).toBe(400);
    const badType = await rt.app.request('/api/events', appEventRequest({ id: 'e5', type: 'user.exploded', customer: { email: 'a@b.co' } }));
    expect(badType.status).toBe(400);
    const details = ((await badType.json()) as { details: Array<{ path: string }> }).details;
    expect(details.map((d) => d.path)).toContain('type');
    expect((await writeCounts(rt)).inbox).toBe(0);
  });

  it('413 for a body over the limit', async () => {
    const res = await rt.app.request('/api/events', appEventRequest({ ...signup('e6'), data: { pad: 'x'.repeat(300 * 1024) } }));
    expect(res.status).toBe(413);
  });

  it('Clerk user.created (svix-* and webhook-* headers) → lead with the PRIMARY email, not the first', async () => {
    const payload = clerkUserCreated();
    for (const prefix of ['svix', 'webhook'] as const) {
      const res = await rt.app.request('/api/webhooks/clerk', clerkRequest(payload, { prefix, id: `msg_${prefix}` }));
      expect(res.status, prefix).toBe(200);
    }
    const c = (await (await rt.app.request('/api/customers/user_clerk_1', { headers: adminHeaders })).json()) as { email: string; name: string; lifecycle: string };
    expect(c).toMatchObject({ email: 'primary@example.com', name: 'Pat Lee', lifecycle: 'lead' });
    expect((await rt.app.request('/api/customers/old@example.com', { headers: adminHeaders })).status).toBe(404);
  });

  it('Clerk: a bad signature is 400 and writes nothing', async () => {
    const req = clerkRequest({ type: 'user.created', data: {} }, { secret: `whsec_${Buffer.from('another-secret-xyz').toString('base64')}` });
    expect((await rt.app.request('/api/webhooks/clerk', req)).status).toBe(400);
    const noHeaders = await rt.app.request('/api/webhooks/clerk', { method: 'POST', body: '{}' });
    expect(noHeaders.status).toBe(400);
    expect(await writeCounts(rt)).toEqual({ inbox: 0, customers: 0, jobs: 0 });
  });

  it('customer API: 401 without the admin token, 404 for an unknown ref', async () => {
    expect((await rt.app.request('/api/customers/nobody@example.com')).status).toBe(401);
    expect((await rt.app.request('/api/customers/nobody@example.com', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await rt.app.request('/api/customers/nobody@example.com', { headers: adminHeaders })).status).toBe(404);
  });

  it('health is 200; ready reports the dispatcher missing when no worker runs', async () => {
    expect((await rt.app.request('/api/health')).status).toBe(200);
    const ready = await rt.app.request('/api/ready');
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.migrations?.ok).toBe(true);
    expect(body.checks.dispatcher?.ok).toBe(false);
  });

  it('never logs the API key, the admin token or the message body, at trace level', async () => {
    const before = rt.logLines.length;
    await rt.app.request('/api/events', appEventRequest({ ...signup('evt-logged-by-id-7731'), data: { message: 'my card number is 4242 4242' } }));
    await rt.app.request('/api/events', appEventRequest(signup('e9'), 'hk_wrong_key_000000000000'));
    await rt.app.request('/api/customers/jane@example.com', { headers: adminHeaders });
    const log = rt.logLines.slice(before).join('');
    expect(log).toContain('evt-logged-by-id-7731'); // the event id is what gets logged
    for (const secret of [API_KEY, 'hk_wrong_key_000000000000', ADMIN_TOKEN.slice(6), '4242 4242']) expect(log).not.toContain(secret);
  });

  it('/metrics exposes the ingest counters', async () => {
    await rt.app.request('/api/events', appEventRequest(signup('e7')));
    const text = await (await rt.app.request('/metrics')).text();
    expect(text).toMatch(/handoff_webhooks_total\{source="app",outcome="accepted"\} \d+/);
    // No connector is configured here: the CRM job is recorded as skipped, and the gauge read at scrape time says so.
    expect(text).toMatch(/handoff_jobs\{connector="hubspot",status="skipped"\} 1/);
    expect(text).toMatch(/handoff_jobs\{connector="hubspot",status="pending"\} 0/);
    expect(text).toMatch(/handoff_job_oldest_pending_seconds\{connector="hubspot"\} 0/);
  });
});

describe.each(DB_KINDS)('bootstrap key rotation on %s', (kind) => {
  const t = useTestDb(kind);

  it('a restart with a new HANDOFF_API_KEY revokes the previous one', async () => {
    const body = { id: 'rot-1', type: 'user.signed_up', customer: { email: 'rot@example.com' } };
    const first = await startTestApp(t, { env: { HANDOFF_API_KEY: 'hk_first_key_0123456789abcdef' } });
    expect((await first.app.request('/api/events', appEventRequest(body, 'hk_first_key_0123456789abcdef'))).status).toBe(200);
    await first.close();
    const second = await startTestApp(t, { env: { HANDOFF_API_KEY: 'hk_second_key_0123456789abcde' } });
    expect((await second.app.request('/api/events', appEventRequest({ ...body, id: 'rot-2' }, 'hk_first_key_0123456789abcdef'))).status).toBe(401);
    expect((await second.app.request('/api/events', appEventRequest({ ...body, id: 'rot-3' }, 'hk_second_key_0123456789abcde'))).status).toBe(200);
    await second.close();
    // A key revoked by hand is not revived by a restart that still names it.
    await t.db.query(`UPDATE api_keys SET revoked_at = now() WHERE is_bootstrap`);
    const third = await startTestApp(t, { env: { HANDOFF_API_KEY: 'hk_second_key_0123456789abcde' } });
    expect((await third.app.request('/api/events', appEventRequest({ ...body, id: 'rot-4' }, 'hk_second_key_0123456789abcde'))).status).toBe(401);
    await third.close();
  });
});
