import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, adminHeaders, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { jobs } from '../support/wait.js';

/** The admin API (/api/admin) the CLI uses while a server owns the embedded database. */
describe.each(DB_KINDS)('admin API on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  // Connectors enabled so jobs are queued as pending; no worker runs, so nothing is called.
  const env = { HUBSPOT_ACCESS_TOKEN: 'pat-unused', HUBSPOT_BASE_URL: 'http://127.0.0.1:9', SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook' };

  beforeEach(async () => {
    rt = await startTestApp(t, { env });
  });
  afterEach(() => rt.close());

  const req = (path: string, init: RequestInit = {}) =>
    rt.app.request(`/api/admin${path}`, { ...init, headers: { ...adminHeaders, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
  const body = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

  /** Two failed payments → per customer a HubSpot sync and a Slack alert (pending) and a skipped email. */
  async function arrange() {
    for (const n of ['ann', 'bob']) {
      const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: `in_${n}`, customer: `cus_${n}`, customer_email: `${n}@example.com`, subscription: null, parent: null });
      expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
    }
    return jobs(t.db);
  }
  const kill = (id: number, error = 'hubspot POST → HTTP 400: Property values were not valid') =>
    t.db.query(`UPDATE jobs SET status = 'dead', attempts = 3, last_error = $2, finished_at = now() WHERE id = $1`, [id, error]);

  it('refuses every route without the admin token', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/status'],
      ['GET', '/jobs'],
      ['POST', '/jobs/1/retry'],
      ['POST', '/jobs/retry-dead'],
      ['GET', '/keys'],
      ['POST', '/keys'],
      ['DELETE', '/keys/x'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-the-admin-token-at-all' }, { authorization: `Bearer ${ADMIN_TOKEN}x` }]) {
        const res = await rt.app.request(`/api/admin${path}`, { method, headers });
        expect([method, path, res.status]).toEqual([method, path, 401]);
      }
    }
  });

  it('lists jobs newest first with customer, cause and last error; filters by status and connector', async () => {
    const all = await arrange();
    expect(all.map((j) => `${j.connector}:${j.status}`).sort()).toEqual(['email:skipped', 'email:skipped', 'hubspot:pending', 'hubspot:pending', 'slack:pending', 'slack:pending']);
    const hub = all.filter((j) => j.connector === 'hubspot');
    await kill(hub[0]!.id);

    const res = await req('/jobs');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const list = (await body<{ jobs: Array<Record<string, any>> }>(res)).jobs;
    expect(list.map((j) => j.id)).toEqual(all.map((j) => j.id).sort((a, b) => b - a));
    const dead = list.find((j) => j.id === hub[0]!.id)!;
    expect(dead).toMatchObject({
      connector: 'hubspot',
      status: 'dead',
      attempts: 3,
      lastError: 'hubspot POST → HTTP 400: Property values were not valid',
      idempotencyKey: hub[0]!.idempotency_key,
      event: { source: 'stripe', type: 'invoice.payment_failed' },
    });
    expect(['ann@example.com', 'bob@example.com']).toContain(dead.customer.email);

    const deadOnly = (await body<{ jobs: Array<{ id: number }> }>(await req('/jobs?status=dead'))).jobs;
    expect(deadOnly.map((j) => j.id)).toEqual([hub[0]!.id]);
    const slack = (await body<{ jobs: Array<{ connector: string }> }>(await req('/jobs?connector=slack&status=pending'))).jobs;
    expect(slack.map((j) => j.connector)).toEqual(['slack', 'slack']);
    expect((await body<{ jobs: unknown[] }>(await req('/jobs?limit=1'))).jobs).toHaveLength(1);
  });

  it('answers bad filters and ids with a 400 that names the valid values', async () => {
    for (const [path, text] of [
      ['/jobs?status=deadish', 'status must be one of pending, running, done, skipped, dead, stuck'],
      ['/jobs?connector=salesforce', 'connector must be one of hubspot, slack, zendesk, email, webhook'],
      ['/jobs?limit=0', 'limit must be an integer from 1 to 1000'],
      ['/jobs?limit=abc', 'limit must be an integer'],
    ] as const) {
      const res = await req(path);
      expect([path, res.status]).toEqual([path, 400]);
      expect((await body<{ message: string }>(res)).message).toContain(text);
    }
    for (const id of ['abc', '0', '-1', '99999999999999999999', '1.5']) {
      const res = await req(`/jobs/${id}/retry`, { method: 'POST' });
      expect([id, res.status]).toEqual([id, 400]);
    }
    expect((await req('/jobs/424242/retry', { method: 'POST' })).status).toBe(404);
    for (const bad of ['{not json', '[1]', '"x"', '{"connector": 5}', '{"connector": "salesforce"}']) {
      const res = await req('/jobs/retry-dead', { method: 'POST', body: bad });
      expect([bad, res.status]).toEqual([bad, 400]);
    }
  });

  it('retries one dead job: same row and idempotency key, attempts 0, due now, the retry in the timeline; a live job is a 409', async () => {
    const all = await arrange();
    const job = all.find((j) => j.connector === 'hubspot')!;
    await kill(job.id);
    // Dead for three days: once queued again it is young (its age drives JOB_MAX_AGE_HOURS and the alerts).
    await t.db.query(`UPDATE jobs SET created_at = now() - interval '3 days' WHERE id = $1`, [job.id]);
    const firstQueued = (await t.db.query<{ created_at: Date }>('SELECT created_at FROM jobs WHERE id = $1', [job.id])).rows[0]!.created_at;

    const res = await req(`/jobs/${job.id}/retry`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await body<{ job: unknown }>(res)).job).toEqual({ id: job.id, connector: 'hubspot', kind: job.kind, idempotencyKey: job.idempotency_key });
    const { rows } = await t.db.query<{ status: string; attempts: number; due: boolean; idempotency_key: string; finished_at: Date | null; last_error: string }>(
      'SELECT status, attempts, run_at <= now() AS due, idempotency_key, finished_at, last_error FROM jobs WHERE id = $1',
      [job.id],
    );
    expect(rows[0]).toMatchObject({ status: 'pending', attempts: 0, due: true, idempotency_key: job.idempotency_key, finished_at: null });
    expect(rows[0]!.last_error).toContain('HTTP 400'); // kept until the next attempt overwrites it

    const customer = await body<{ timeline: Array<{ type: string; detail?: Record<string, unknown> }> }>(
      await rt.app.request(`/api/customers/${encodeURIComponent((await jobCustomer(job.id)))}`, { headers: adminHeaders }),
    );
    expect(customer.timeline.find((r) => r.type === 'retry')?.detail).toEqual({
      job_id: job.id,
      connector: 'hubspot',
      kind: job.kind,
      previous_error: 'hubspot POST → HTTP 400: Property values were not valid',
      previous_attempts: 3,
      first_queued_at: expect.any(String),
    });
    const detail = customer.timeline.find((r) => r.type === 'retry')!.detail!;
    expect(new Date(detail.first_queued_at as string).getTime()).toBe(firstQueued.getTime());
    const status = await body<{ backlog: { oldestPending: { id: number; ageSeconds: number } } }>(await req('/status'));
    expect(status.backlog.oldestPending.ageSeconds).toBeLessThan(3 * 86_400 - 3600);

    const again = await req(`/jobs/${job.id}/retry`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await body<{ message: string }>(again)).message).toBe(`job #${job.id} is pending, not dead: only dead jobs can be retried`);
    const done = all.find((j) => j.status === 'skipped')!;
    expect((await req(`/jobs/${done.id}/retry`, { method: 'POST' })).status).toBe(409);
  });

  const jobCustomer = async (id: number) => (await t.db.query<{ customer_id: string }>('SELECT customer_id FROM jobs WHERE id = $1', [id])).rows[0]!.customer_id;

  it('retries every dead job, or one connector\'s, and leaves the others', async () => {
    const all = await arrange();
    for (const j of all.filter((x) => x.status === 'pending')) await kill(j.id, `${j.connector} failed`);

    const slack = await req('/jobs/retry-dead', { method: 'POST', body: JSON.stringify({ connector: 'slack' }) });
    expect(slack.status).toBe(200);
    const s = await body<{ retried: number; jobs: Array<{ connector: string }> }>(slack);
    expect(s.retried).toBe(2);
    expect(s.jobs.map((j) => j.connector)).toEqual(['slack', 'slack']);
    expect((await jobs(t.db)).filter((j) => j.status === 'dead').map((j) => j.connector)).toEqual(['hubspot', 'hubspot']);

    const rest = await body<{ retried: number }>(await req('/jobs/retry-dead', { method: 'POST' }));
    expect(rest.retried).toBe(2);
    expect((await jobs(t.db)).filter((j) => j.status === 'dead')).toEqual([]);
    expect((await body<{ retried: number }>(await req('/jobs/retry-dead', { method: 'POST', body: '{}' }))).retried).toBe(0);
  });

  it('status: migrations, dispatchers and the backlog (oldest pending, dead per connector, stuck leases)', async () => {
    const all = await arrange();
    const [a, b, c] = all.filter((j) => j.status === 'pending');
    await kill(a!.id);
    await t.db.query(`UPDATE jobs SET status = 'running', locked_by = 'dispatcher-gone', locked_until = now() - interval '5 minutes', attempts = 1 WHERE id = $1`, [b!.id]);
    await t.db.query(`UPDATE jobs SET created_at = now() - interval '42 minutes', attempts = 2, last_error = 'slack POST → HTTP 503' WHERE id = $1`, [c!.id]);

    const res = await req('/status');
    expect(res.status).toBe(200);
    const s = await body<Record<string, any>>(res);
    expect(s.database.kind).toBe(kind);
    expect(s.migrations.pending).toEqual([]);
    expect(s.migrations.applied).toEqual(s.migrations.known);
    expect(s.dispatchers).toBe(0); // no worker in this app
    expect(s.backlog).toMatchObject({ pending: 2, due: 2, running: 1, stuck: 1, dead: 1, deadByConnector: { [a!.connector]: 1 } });
    expect(s.backlog.oldestPending).toMatchObject({ id: c!.id, connector: c!.connector, attempts: 2, lastError: 'slack POST → HTTP 503' });
    expect(s.backlog.oldestPending.ageSeconds).toBeGreaterThanOrEqual(42 * 60);
    expect(s.backlog.oldestPending.ageSeconds).toBeLessThan(50 * 60);

    const stuck = await body<{ jobs: Array<{ id: number; stuck: boolean }> }>(await req('/jobs?status=stuck'));
    expect(stuck.jobs).toEqual([expect.objectContaining({ id: b!.id, stuck: true })]);
  });

  it('creates a key shown once and stored as its SHA-256 only; lists and revokes it; the key works until revoked', async () => {
    const res = await req('/keys', { method: 'POST', body: JSON.stringify({ name: 'web app', scopes: ['events:write', 'events:write'] }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { key, apiKey } = await body<{ key: string; apiKey: Record<string, unknown> }>(res);
    expect(key).toMatch(/^hk_[A-Za-z0-9_-]{32}$/);
    expect(apiKey).toMatchObject({ name: 'web app', prefix: key.slice(0, 10), scopes: ['events:write'], bootstrap: false, revokedAt: null });

    const stored = await t.db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [apiKey.id]);
    expect(stored.rows[0]!.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(stored.rows)).not.toContain(key);
    expect(rt.logLines.join('')).not.toContain(key);

    const event = { id: 'k1', type: 'user.signed_up', customer: { email: 'k@example.com' } };
    expect((await rt.app.request('/api/events', appEventRequest(event, key))).status).toBe(200);
    // A key with only events:write cannot act for the chatbot: the scopes were stored as asked.
    const listed = await body<{ keys: Array<Record<string, unknown>> }>(await req('/keys'));
    expect(listed.keys.map((k) => k.name).sort()).toEqual(['bootstrap (HANDOFF_API_KEY)', 'web app']);
    expect(JSON.stringify(listed)).not.toMatch(/key_hash|hk_test_bootstrap_key|"key"/);

    const revoked = await req(`/keys/${encodeURIComponent(apiKey.prefix as string)}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect((await body<{ apiKey: { revokedAt: string | null } }>(revoked)).apiKey.revokedAt).not.toBeNull();
    expect((await rt.app.request('/api/events', appEventRequest({ ...event, id: 'k2' }, key))).status).toBe(401);
    // Revoking again keeps the first revocation; an unknown reference is a 404.
    expect((await req(`/keys/${apiKey.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await req('/keys/hk_nothing', { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a key with unknown or no scopes, or without a name, and stores nothing', async () => {
    for (const [payload, text] of [
      [{ name: 'x', scopes: ['events:write', 'admin'] }, 'unknown scope "admin": valid scopes are events:write, chatbot:act'],
      [{ name: 'x', scopes: [] }, 'at least one scope is required'],
      [{ scopes: ['events:write'] }, 'name is required'],
      [{ name: 'a'.repeat(101), scopes: ['events:write'] }, 'name must be at most 100 characters'],
      [{ name: 'nul\u0000', scopes: ['events:write'] }, 'NUL'],
    ] as const) {
      const res = await req('/keys', { method: 'POST', body: JSON.stringify(payload) });
      expect([JSON.stringify(payload), res.status]).toEqual([JSON.stringify(payload), 400]);
      expect((await body<{ message: string }>(res)).message).toContain(text);
    }
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM api_keys WHERE NOT is_bootstrap');
    expect(rows[0]!.n).toBe(0);
  });
});
