import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandoff, StartupError, type Handoff } from '../../src/index.js';
import { startHubspotEmulator, type HubspotEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, adminHeaders, appEventRequest, captureLogger, STRIPE_SECRET, stripeRequest } from '../support/app.js';
import pg from 'pg';
import { createTestDb, DB_KINDS, TEST_DATABASE_URL, type TestDb } from '../support/db.js';
import { loadFixtureEvent } from '../support/stripe-fixtures.js';

const BASE = 'http://app.test';

/** The library entry (`createHandoff`) that a Next.js route handler uses, on both databases. */
describe.each(DB_KINDS)('createHandoff() on %s', (kind) => {
  let t: TestDb;
  let hubspot: HubspotEmulator;
  let handoff: Handoff;
  let dataDir: string | undefined;
  const log = captureLogger('warn');

  /** What a deployment would set; the database is this file's own (PGlite: a data dir, since the handle opens it). */
  const makeEnv = (): Record<string, string> => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    DISPATCH_POLL_MS: '50',
    ...(kind === 'postgres' ? { DATABASE_URL: t.url! } : { HANDOFF_DATA_DIR: dataDir! }),
  });

  beforeAll(async () => {
    hubspot = await startHubspotEmulator({ rateLimit: { max: 100_000, intervalMs: 10_000 } });
    if (kind === 'postgres') t = await createTestDb('postgres');
    else dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-lib-'));
    const env = makeEnv();
    handoff = createHandoff({ env, allowEmbedded: kind === 'pglite', logger: log.logger });
  });
  afterAll(async () => {
    await handoff?.close();
    await hubspot?.close();
    await t?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the public routes: health, a verified Stripe webhook, a bad signature, an app event, the customer', async () => {
    const health = await handoff.fetch(new Request(`${BASE}/api/health`));
    expect(health.status).toBe(200);

    const evt = loadFixtureEvent('checkout_session_completed');
    const ok = await handoff.fetch(new Request(`${BASE}/api/webhooks/stripe`, stripeRequest(evt)));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ received: true, duplicate: false });

    const forged = stripeRequest({ ...evt, id: 'evt_forged' }, { secret: 'whsec_not_the_right_secret_000000' });
    const bad = await handoff.fetch(new Request(`${BASE}/api/webhooks/stripe`, forged));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_signature');

    const email = `lib-${kind}@example.com`;
    const sent = await handoff.fetch(new Request(`${BASE}/api/events`, appEventRequest({ id: `lib-${kind}-1`, type: 'user.signed_up', customer: { email } })));
    expect(sent.status).toBe(200);
    const customer = await handoff.fetch(new Request(`${BASE}/api/customers/${encodeURIComponent(email)}`, { headers: adminHeaders }));
    expect(customer.status).toBe(200);
    expect(JSON.stringify(await customer.json())).toContain(email);
    const anonymous = await handoff.fetch(new Request(`${BASE}/api/customers/${encodeURIComponent(email)}`));
    expect(anonymous.status).toBe(401);
  });

  it('runs no dispatcher on its own: jobs wait until runDueJobs() delivers them', async () => {
    const email = `lib-cron-${kind}@example.com`;
    const sent = await handoff.fetch(new Request(`${BASE}/api/events`, appEventRequest({ id: `lib-${kind}-2`, type: 'user.signed_up', customer: { email } })));
    expect(sent.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // several poll intervals: a hidden dispatcher would have run
    expect(hubspot.contacts.has(email)).toBe(false);

    const report = await handoff.runDueJobs({ maxMs: 30_000 });
    expect(report).toMatchObject({ drained: true, due: 0, running: 0 });
    expect(hubspot.contacts.has(email)).toBe(true);
  });

  it('shares one runtime between handles of the same configuration, and starts again after close()', async () => {
    const second = createHandoff({ env: makeEnv(), allowEmbedded: kind === 'pglite', logger: log.logger });
    // Same configuration → same runtime: on PGlite a second runtime would fail on the data dir's lock.
    expect((await second.fetch(new Request(`${BASE}/api/health`))).status).toBe(200);
    await handoff.close();
    expect((await handoff.fetch(new Request(`${BASE}/api/health`))).status).toBe(200);
  });

  it('never logs a secret', () => {
    const all = log.lines.join('\n');
    for (const secret of [STRIPE_SECRET, ADMIN_TOKEN, API_KEY, hubspot.token]) expect(all).not.toContain(secret);
  });
});

describe('createHandoff() refuses what cannot work inside a web framework', () => {
  it('refuses embedded PGlite without DATABASE_URL: 503 to the caller, the reason in the log', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-lib-'));
    const log = captureLogger('warn');
    const h = createHandoff({ env: { HANDOFF_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, logger: log.logger });
    try {
      await expect(h.ready()).rejects.toThrow(StartupError);
      await expect(h.ready()).rejects.toThrow(/needs PostgreSQL: set DATABASE_URL/);
      const res = await h.fetch(new Request(`${BASE}/api/health`));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('unavailable');
      expect(body.message).not.toMatch(/DATABASE_URL/); // the reason is for the operator, not the caller
      const line = log.lines.find((l) => l.includes('Handoff could not start'));
      expect(line).toMatch(/needs PostgreSQL: set DATABASE_URL/);
    } finally {
      await h.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reports every configuration problem at once and opens nothing', async () => {
    const log = captureLogger('warn');
    const h = createHandoff({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/none' }, logger: log.logger });
    await expect(h.ready()).rejects.toThrow(/STRIPE_WEBHOOK_SECRET: required[\s\S]*HANDOFF_ADMIN_TOKEN: required/);
    expect((await h.fetch(new Request(`${BASE}/api/health`))).status).toBe(503);
    await h.close();
  });

  it('does not cache a failed start: once the database exists, the next request is served', async () => {
    const name = `handoff_test_late_${Date.now().toString(36)}`;
    const u = new URL(TEST_DATABASE_URL);
    u.pathname = `/${name}`;
    const log = captureLogger('warn');
    const env = { NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: u.toString() };
    const h = createHandoff({ env, logger: log.logger });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      expect((await h.fetch(new Request(`${BASE}/api/health`))).status).toBe(503);
      expect(log.lines.join('\n')).toContain(name); // the operator learns which database is missing
      await admin.query(`CREATE DATABASE ${name}`);
      expect((await h.fetch(new Request(`${BASE}/api/health`))).status).toBe(200);
    } finally {
      await h.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('rejects a nonsensical time budget for runDueJobs()', async () => {
    const h = createHandoff({ env: {} });
    await expect(h.runDueJobs({ maxMs: -1 })).rejects.toThrow(/maxMs must be a non-negative/);
    await h.close();
  });
});
