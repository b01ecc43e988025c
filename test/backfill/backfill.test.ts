import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackfillRefused, prepareBackfill } from '../../src/backfill/index.js';
import { StripeApiError } from '../../src/stripe-api/index.js';
import { startStripeEmulator, type StripeEmulator } from '../emulators/index.js';
import { startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, truncateAll, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { stripeAccount } from '../stripe-api/objects.js';
import { backfill, backfillDeps, lifecycleOf, stateOf } from './support.js';

/**
 * `handoff backfill stripe` in process, on both databases, against the Stripe API emulator seeded from the
 * real fixtures: 8 customers whose subscriptions cycle trialing / active / past_due / canceled, and a paid
 * invoice for each non-trialing one.
 */
const START = 1_767_225_600; // 2026-01-01
const DAY = 86_400;
const N = 8;
/** Customer i's object times (see stripeAccount). */
const c = (i: number) => START + i * 3600;
const EXPECTED: Record<string, string> = { 0: 'trial', 1: 'paid', 2: 'past_due', 3: 'churned' };
const OLD_SINCE = new Date((START - DAY) * 1000); // every seeded invoice is "recent"

describe.each(DB_KINDS)('backfill stripe on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let emu: StripeEmulator;
  let rt: TestApp;

  beforeEach(async () => {
    emu = await startStripeEmulator(stripeAccount(N, START));
    rt = await startTestApp(t, { worker: false });
  });
  afterEach(async () => {
    await rt.close();
    await emu.close();
  });

  const deps = (extra: Parameters<typeof backfillDeps>[2] = {}) => backfillDeps(t.db, emu, extra);
  const webhook = async (evt: unknown) => {
    const res = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    expect(res.status).toBe(200);
    return (await res.json()) as { duplicate: boolean };
  };
  const subscriptionWebhook = (id: string, customer: string, status: string, created: number) =>
    stripeEvent('customer.subscription.updated', 'subscription', { id, customer, status }, { created });
  const inboxOutcome = async (eventId: string) =>
    (await t.db.query<{ outcome: string }>('SELECT outcome FROM inbox_events WHERE event_id = $1', [eventId])).rows[0]?.outcome;

  it('records every customer\'s Stripe state through the webhook pipeline, with no effects queued', async () => {
    const { run, resumed } = await backfill(deps(), { since: OLD_SINCE });
    expect(resumed).toBe(false);
    expect(run.status).toBe('done');
    for (let i = 0; i < N; i++) expect(await lifecycleOf(t.db, `cus_bf_00${i}`), `customer ${i}`).toBe(EXPECTED[i % 4]);

    const state = await stateOf(t.db);
    expect(state.customers).toHaveLength(N);
    expect(state.customers.map((r) => r.email)).toEqual([...Array(N).keys()].map((i) => `customer00${i}@example.com`));
    expect(state.jobs).toEqual([]); // no Slack "new paying customer" for old customers, no dunning email
    expect(state.inbox.every((r) => r.source === 'stripe' && String(r.event_id).startsWith('backfill:'))).toBe(true);
    expect(run.counts.customers).toMatchObject({ seen: N, ignored: N, duplicate: 0 });
    expect(run.counts.subscriptions).toMatchObject({ seen: N, applied: N, stale: 0, duplicate: 0 });
    // Invoices of past_due / canceled customers are older than the subscription's state: stale, not a regression.
    expect(run.counts.invoices).toMatchObject({ seen: 6, applied: 2, stale: 4 });
    expect(run.counts.customersCreated).toBe(N);
    // The watermark is the object's own time for its state, never the time of the read.
    const wm = await t.db.query<{ created: string }>("SELECT created FROM watermarks WHERE object_key = 'stripe:sub:sub_bf_002'");
    expect(Number(wm.rows[0]!.created)).toBe(c(2) + 30 * DAY);
  });

  it('running it twice changes nothing: identical state, no new inbox rows or jobs', async () => {
    await backfill(deps(), { since: OLD_SINCE });
    const first = await stateOf(t.db);
    const { run } = await backfill(deps(), { since: OLD_SINCE });
    expect(await stateOf(t.db)).toEqual(first);
    expect(run.counts.subscriptions).toMatchObject({ seen: N, applied: 0, duplicate: N });
    expect(run.counts.customers).toMatchObject({ seen: N, duplicate: N });
    expect(run.counts).toMatchObject({ customersCreated: 0, customersChanged: 0 });
  });

  it('a webhook newer than the backfill wins, and the next backfill does not undo it; an older one is stale', async () => {
    await backfill(deps(), { since: OLD_SINCE });
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('paid');

    const older = subscriptionWebhook('sub_bf_001', 'cus_bf_001', 'canceled', c(1) + 100); // before the paid invoice (c+120)
    await webhook(older);
    expect(await inboxOutcome(older.id)).toBe('stale');
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('paid');

    const newer = subscriptionWebhook('sub_bf_001', 'cus_bf_001', 'past_due', c(1) + 10 * DAY);
    await webhook(newer);
    expect(await inboxOutcome(newer.id)).toBe('applied');
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('past_due');

    const { run } = await backfill(deps(), { since: OLD_SINCE }); // Stripe's objects still say active at c+60
    expect(run.status).toBe('done');
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('past_due');
  });

  it('a backfill after a newer webhook is stale for that customer; a later change in Stripe is caught up', async () => {
    await webhook(subscriptionWebhook('sub_bf_001', 'cus_bf_001', 'past_due', c(1) + 10 * DAY));
    const { run } = await backfill(deps(), { since: OLD_SINCE });
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('past_due'); // not regressed to paid
    expect(run.counts.subscriptions!.stale).toBe(1);
    // The backfill still linked the email Stripe knows to the customer the webhook created.
    const email = await t.db.query<{ email: string }>(
      "SELECT c.email FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'stripe_customer' AND i.value = 'cus_bf_001'",
    );
    expect(email.rows[0]?.email).toBe('customer001@example.com');

    emu.setSubscriptionStatus('sub_bf_001', 'canceled', c(1) + 20 * DAY);
    const again = await backfill(deps(), { since: OLD_SINCE });
    expect(await lifecycleOf(t.db, 'cus_bf_001')).toBe('churned');
    expect(again.run.counts.subscriptions).toMatchObject({ applied: 1, duplicate: N - 1 });
    expect(again.run.counts.customersChanged).toBe(1);
  });

  it('an interrupted run resumes from its stored cursor and ends in the same state as an uninterrupted one', async () => {
    const stop = new AbortController();
    const first = await prepareBackfill(deps(), {
      since: OLD_SINCE,
      pageSize: 3,
      signal: stop.signal,
      onProgress: (p) => {
        if ((p.cursors.subscriptions?.seen ?? 0) >= 3) stop.abort();
      },
    });
    const interrupted = await first.execute();
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.cursors.customers).toMatchObject({ done: true, seen: N });
    expect(interrupted.cursors.subscriptions).toMatchObject({ done: false, seen: 3 });
    const cursor = interrupted.cursors.subscriptions!.startingAfter!;
    expect(cursor).toBe('sub_bf_005'); // newest first: 007, 006, 005

    emu.requests.length = 0;
    const second = await prepareBackfill(deps(), { pageSize: 3 });
    expect(second.resumed).toBe(true);
    expect(second.run.id).toBe(first.run.id);
    const done = await second.execute();
    expect(done.status).toBe('done');
    const subCalls = emu.requests.filter((r) => r.path.startsWith('/v1/subscriptions'));
    expect(decodeURIComponent(subCalls[0]!.path)).toContain(`starting_after=${cursor}`);
    // Customers were complete: only the key check (limit=1) read them again.
    expect(emu.requests.filter((r) => r.path.startsWith('/v1/customers?')).map((r) => r.path)).toEqual(['/v1/customers?limit=1']);
    expect(done.counts.subscriptions).toMatchObject({ seen: N, applied: N, duplicate: 0 });
    for (let i = 0; i < N; i++) expect(await lifecycleOf(t.db, `cus_bf_00${i}`)).toBe(EXPECTED[i % 4]);

    const resumedState = await stateOf(t.db);
    await truncateAll(t.db);
    await backfill(deps(), { since: OLD_SINCE });
    const straight = await stateOf(t.db);
    expect({ ...resumedState, inbox: resumedState.inbox.length }).toEqual({ ...straight, inbox: straight.inbox.length });
    expect(resumedState.inbox.map((r) => r.event_id)).toEqual(straight.inbox.map((r) => r.event_id));
  });

  it('a run that failed (Stripe down) keeps its cursor and error; the next run resumes it', async () => {
    emu.faults.failFor(60_000, { status: 503, match: { path: '/v1/invoices' } });
    const first = await prepareBackfill(deps({ client: { maxNetworkRetries: 0 } }), { since: OLD_SINCE });
    const err = await first.execute().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeApiError);
    const { getBackfillRun } = await import('../../src/backfill/index.js');
    const failed = (await getBackfillRun(t.db, first.run.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('HTTP 503');
    expect(failed.cursors.subscriptions).toMatchObject({ done: true });

    emu.faults.clear();
    const { run, resumed } = await backfill(deps());
    expect(resumed).toBe(true);
    expect(run.status).toBe('done');
    expect(run.counts.subscriptions!.seen).toBe(N); // not read twice
    expect(run.counts.invoices!.seen).toBe(6);
  });

  it('rate-limit 429s from Stripe are retried and the run completes', async () => {
    emu.rateLimit(2, '/v1/customers');
    emu.rateLimit(2, '/v1/subscriptions');
    emu.rateLimit(1, '/v1/invoices');
    const { run } = await backfill(deps(), { since: OLD_SINCE });
    expect(run.status).toBe('done');
    expect(emu.requests.filter((r) => r.fault === '429')).toHaveLength(5);
    for (let i = 0; i < N; i++) expect(await lifecycleOf(t.db, `cus_bf_00${i}`)).toBe(EXPECTED[i % 4]);
  });

  it('refuses to run beside a live run, takes over a dead process\'s run, and --restart starts over', async () => {
    const live = await prepareBackfill(deps({ owner: 'elsewhere:42' }), { since: OLD_SINCE }); // claimed, never executed
    const busy = await prepareBackfill(deps(), {}).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(BackfillRefused);
    expect(busy).toMatchObject({ status: 409 });
    expect((busy as Error).message).toContain(live.run.id);
    await expect(prepareBackfill(deps(), { restart: true })).rejects.toMatchObject({ status: 409 });

    await t.db.query('UPDATE backfill_runs SET owner = $1', [`${hostname()}:2147483646`]); // a pid that is not alive
    const conflicting = await prepareBackfill(deps(), { since: new Date() }).catch((e: unknown) => e);
    expect(conflicting).toMatchObject({ status: 409 });
    expect((conflicting as Error).message).toContain('reads invoices since');

    const takeover = await prepareBackfill(deps(), {});
    expect(takeover.resumed).toBe(true);
    expect(takeover.run.id).toBe(live.run.id);
    await t.db.query("UPDATE backfill_runs SET status = 'interrupted'");

    const fresh = await prepareBackfill(deps(), { restart: true, since: OLD_SINCE });
    expect(fresh.resumed).toBe(false);
    expect(fresh.run.id).not.toBe(live.run.id);
    const runs = await t.db.query<{ id: string; status: string }>('SELECT id, status FROM backfill_runs ORDER BY started_at');
    expect(runs.rows.find((r) => r.id === live.run.id)?.status).toBe('abandoned');
    expect((await fresh.execute()).status).toBe('done');
  });

  it('a bad key fails before anything is written, with a message naming STRIPE_SECRET_KEY', async () => {
    const err = (await prepareBackfill(deps({ key: 'sk_test_not_this_account_000000' }), {}).catch((e: unknown) => e)) as StripeApiError;
    expect(err).toBeInstanceOf(StripeApiError);
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('STRIPE_SECRET_KEY');
    expect(err.message).not.toContain('not_this_account');
    expect((await t.db.query('SELECT count(*)::integer AS n FROM backfill_runs')).rows[0]).toEqual({ n: 0 });
  });

  it('--sync-crm is refused without the HubSpot connector', async () => {
    await expect(prepareBackfill(deps(), { syncCrm: true })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('HubSpot') });
  });
});
