import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BackfillRun } from '../../src/backfill/index.js';
import { startHubspotEmulator, startStripeEmulator, STRIPE_TEST_KEY, type HubspotEmulator, type StripeEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { jobs, settled, waitUntil } from '../support/wait.js';
import { stripeAccount } from '../stripe-api/objects.js';
import { lifecycleOf, stateOf } from './support.js';

/**
 * POST /api/admin/backfill (started, then polled) on both databases, and --sync-crm end to end: the
 * worker delivers one HubSpot upsert per Stripe customer to the HubSpot emulator, and a second run adds
 * no job and no contact.
 */
const N = 8;
const SINCE = '2025-12-01';

describe.each(DB_KINDS)('POST /api/admin/backfill on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let stripe: StripeEmulator;
  let hubspot: HubspotEmulator;
  let rt: TestApp;

  beforeEach(async () => {
    stripe = await startStripeEmulator(stripeAccount(N));
    hubspot = await startHubspotEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    await stripe.close();
    await hubspot.close();
  });

  const start = async (env: Record<string, string> = {}, worker = false) => {
    rt = await startTestApp(t, {
      worker,
      env: { STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_BASE_URL: stripe.url, HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url, ...env },
    });
  };
  const admin = (path: string, body?: unknown, token = ADMIN_TOKEN) =>
    rt.app.request(`/api/admin/backfill${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const finished = (id: string) =>
    waitUntil(async () => {
      const { run } = (await (await admin(`/${id}`)).json()) as { run: BackfillRun };
      return run.status !== 'running' ? run : undefined;
    }, 30_000, 'backfill run to finish');

  it('starts a run (202), which the caller polls to done; GET / shows the newest', async () => {
    await start();
    const res = await admin('', { since: SINCE });
    expect(res.status).toBe(202);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { run, resumed } = (await res.json()) as { run: BackfillRun; resumed: boolean };
    expect(resumed).toBe(false);
    expect(run.since).toBe('2025-12-01T00:00:00.000Z');
    const done = await finished(run.id);
    expect(done.status).toBe('done');
    expect(done.counts.subscriptions).toMatchObject({ seen: N, applied: N });
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('paid');
    const latest = (await (await admin('')).json()) as { run: BackfillRun };
    expect(latest.run.id).toBe(run.id);
    expect(await jobs(t.db)).toEqual([]);
  });

  it('refuses bad input with a 400 naming the problem and writes nothing', async () => {
    await start();
    for (const [body, text] of [
      [{ since: 'yesterday' }, 'since must be a date'],
      [{ since: '2999-01-01' }, 'in the future'],
      [{ syncCrm: 'yes' }, 'invalid backfill request'],
      [{ dryRun: true }, 'invalid backfill request'],
      ['{not json', 'not valid JSON'],
      [[], 'must be a JSON object'],
    ] as const) {
      const res = await admin('', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(text);
    }
    expect((await admin('/not-an-id')).status).toBe(400);
    expect((await admin('/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin('', {}, 'wrong-token')).status).toBe(401);
    expect((await t.db.query('SELECT count(*)::integer AS n FROM backfill_runs')).rows[0]).toEqual({ n: 0 });
  });

  it('a key Stripe refuses is a 502 whose message names STRIPE_SECRET_KEY (never the key); no key at all is a 422', async () => {
    await start({ STRIPE_SECRET_KEY: 'sk_test_refused_by_stripe_0000' });
    const res = await admin('', {});
    expect(res.status).toBe(502);
    const body = (await res.json()) as { reason: string; message: string; fix: string };
    expect(body.reason).toBe('auth');
    expect(body.message).toContain('STRIPE_SECRET_KEY');
    expect(JSON.stringify(body)).not.toContain('refused_by_stripe');
    expect(rt.logLines.join('')).not.toContain('refused_by_stripe');
    await rt.close();

    await start({ STRIPE_SECRET_KEY: '' });
    const none = await admin('', {});
    expect(none.status).toBe(422);
    expect(((await none.json()) as { message: string }).message).toContain('STRIPE_SECRET_KEY is not set');
  });

  it('a second start while one runs is a 409; stop interrupts it and the next start resumes it', async () => {
    await start();
    stripe.faults.push({ kind: 'delay', ms: 1500, match: { path: 'limit=100' } }); // hold the first page
    const first = (await (await admin('', { since: SINCE })).json()) as { run: BackfillRun };
    const busy = await admin('', {});
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { message: string }).message).toContain(first.run.id);
    expect((await admin(`/${first.run.id}/stop`, {})).status).toBe(202);
    const stopped = await finished(first.run.id);
    expect(stopped.status).toBe('interrupted');

    const again = await admin('', {});
    expect(again.status).toBe(202);
    const resumed = (await again.json()) as { run: BackfillRun; resumed: boolean };
    expect(resumed).toMatchObject({ resumed: true, run: { id: first.run.id } });
    expect((await finished(first.run.id)).status).toBe('done');
  });

  it('--sync-crm: each Stripe customer becomes one HubSpot contact, once, even when run twice', async () => {
    await start({}, true);
    const run1 = (await (await admin('', { since: SINCE, syncCrm: true })).json()) as { run: BackfillRun };
    const done1 = await finished(run1.run.id);
    expect(done1.counts.crm).toEqual({ customers: N, queued: N, alreadyQueued: 0, noEmail: 0 });
    const all1 = await settled(t.db);
    expect(all1.map((j) => `${j.connector} ${j.kind} ${j.status}`)).toEqual(Array(N).fill('hubspot upsert_contact done'));
    expect(hubspot.contacts.size).toBe(N);
    expect(hubspot.contacts.get('customer002@example.com')?.properties.handoff_lifecycle).toBe('past_due');
    const creates = () => hubspot.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts' && !r.fault).length;
    const created1 = creates();
    const before = await stateOf(t.db);

    const run2 = (await (await admin('', { since: SINCE, syncCrm: true })).json()) as { run: BackfillRun };
    const done2 = await finished(run2.run.id);
    expect(done2.counts.crm).toEqual({ customers: N, queued: 0, alreadyQueued: N, noEmail: 0 });
    expect(await stateOf(t.db)).toEqual(before); // same customers, inbox and jobs
    expect(await settled(t.db)).toHaveLength(N);
    expect(hubspot.contacts.size).toBe(N);
    expect(creates()).toBe(created1);
  });

  it('--sync-crm without the HubSpot connector is a 422 and starts nothing', async () => {
    await start({ HUBSPOT_ACCESS_TOKEN: '' });
    const res = await admin('', { syncCrm: true });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string; fix: string }).fix).toContain('HUBSPOT_ACCESS_TOKEN');
    expect((await t.db.query('SELECT count(*)::integer AS n FROM backfill_runs')).rows[0]).toEqual({ n: 0 });
  });
});
