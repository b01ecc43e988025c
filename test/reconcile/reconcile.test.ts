import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stripeSubscription } from '../stripe-api/objects.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { adminHeaders, API_KEY, startTestApp, stripeRequest, systemIds, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { signZendeskWebhook, zendeskStatusChanged } from '../emulators/index.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { settled } from '../support/wait.js';
import {
  counts,
  customerRow,
  DAY,
  driftRun,
  escalate,
  paidCustomer,
  providerEnv,
  reconcileNotes,
  startProviders,
  T0,
  type DriftReportJson,
  type Providers,
} from './support.js';

/**
 * Reconcile end to end on a real database, against the Stripe, HubSpot and Zendesk emulators: drift is
 * detected with the right cause, healed by --fix through the pipeline / the outbox, and healing twice
 * changes nothing. Runs go through the admin API (POST /api/drift/run|fix), as `handoff reconcile` does
 * when a server owns the database.
 */
const ZENDESK_WEBHOOK_SECRET = 'zendesk-signing-secret-0123456789';

describe.each(DB_KINDS)('reconcile on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let p: Providers;
  let rt: TestApp;

  beforeAll(async () => {
    p = await startProviders();
    rt = await startTestApp(t, { worker: true, env: providerEnv(p, { ZENDESK_WEBHOOK_SECRET }) });
  });
  afterAll(async () => {
    await rt?.close();
    await p?.close();
  });
  beforeEach(async () => {
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
  });

  it('no drift → an empty report; GET /api/drift returns it', async () => {
    await paidCustomer(rt, p, 'calm');
    const report = await driftRun(rt);
    expect(report).toMatchObject({ trigger: 'api', fix: false, partial: false, customersChecked: 1, driftCount: 0, fixedCount: 0, entries: [], errors: [] });
    expect(report.providers).toEqual({ stripe: true, hubspot: true, zendesk: true });
    const res = await rt.app.request('/api/drift', { headers: adminHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { report: last } = (await res.json()) as { report: DriftReportJson };
    expect(last).toEqual(report);
  });

  it('a manual CRM edit is detected as such and healed by --fix: HubSpot ends with Handoff\'s value, explained in the timeline', async () => {
    const { email } = await paidCustomer(rt, p, 'edited');
    p.hub.edit(email, { handoff_lifecycle: 'churned' });

    const found = await driftRun(rt);
    expect(found.entries).toEqual([
      expect.objectContaining({ email, provider: 'hubspot', field: 'handoff_lifecycle', handoffValue: 'paid', providerValue: 'churned', cause: 'manual_crm_edit', fix: null }),
    ]);
    expect(Date.parse(found.entries[0]!.providerSince!)).toBeGreaterThan(Date.parse(found.entries[0]!.handoffSince!));

    const fixed = await driftRun(rt, true);
    expect(fixed).toMatchObject({ driftCount: 1, fixedCount: 1 });
    expect(fixed.entries[0]!.fix).toMatchObject({ fixed: true, action: expect.stringMatching(/^queued HubSpot job #\d+/) });
    await settled(t.db);
    expect(p.hub.contacts.get(email)?.properties.handoff_lifecycle).toBe('paid');
    const c = await customerRow(t.db, email);
    expect(await reconcileNotes(t.db, c.id)).toEqual(["reconcile: HubSpot handoff_lifecycle was churned; pushed Handoff's paid"]);
    expect((await driftRun(rt)).driftCount).toBe(0);
  });

  it('a missed Stripe webhook (Stripe past_due, Handoff paid) is healed through the pipeline, with the webhook\'s effects, once', async () => {
    const a = await paidCustomer(rt, p, 'missed');
    const control = await paidCustomer(rt, p, 'control');
    // The renewal failed a month later; Stripe's webhooks for customer A never arrived.
    const pastDue = (id: string, cus: string) => p.stripe.upsertSubscription(stripeSubscription({ id, customer: cus, status: 'past_due', created: T0, periodStart: T0 + 30 * DAY }));
    pastDue(a.sub, a.cus);
    const webhook = stripeEvent('customer.subscription.updated', 'subscription', structuredClone(pastDue(control.sub, control.cus)), { created: T0 + 30 * DAY });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(webhook))).status).toBe(200);

    const found = await driftRun(rt);
    expect(found.entries).toEqual([
      expect.objectContaining({ email: a.email, provider: 'stripe', field: 'lifecycle', handoffValue: 'paid', providerValue: 'past_due', cause: 'missed_webhook' }),
    ]);
    expect(found.entries[0]!.providerSince).toBe(new Date((T0 + 30 * DAY) * 1000).toISOString());

    const fixed = await driftRun(rt, true);
    const eventId = `reconcile:${a.sub}:past_due:${T0 + 30 * DAY}`;
    expect(fixed.entries[0]!.fix).toMatchObject({ fixed: true, action: expect.stringContaining(`recorded ${eventId} (past_due`) });
    const customer = await customerRow(t.db, a.email);
    expect(customer.lifecycle).toBe('past_due');
    expect(await reconcileNotes(t.db, customer.id)).toEqual(['reconcile: Stripe says past_due']);
    // The same effects as the webhook that did arrive for the control customer (connector and kind).
    const effects = async (eventIdOf: string) =>
      (await t.db.query<{ connector: string; kind: string }>('SELECT j.connector, j.kind FROM jobs j JOIN inbox_events e ON e.id = j.inbox_id WHERE e.event_id = $1 ORDER BY j.id', [eventIdOf])).rows;
    expect(await effects(eventId)).toEqual(await effects(webhook.id));
    expect(await effects(eventId)).not.toEqual([]);
    await settled(t.db);
    expect(p.hub.contacts.get(a.email)?.properties.handoff_lifecycle).toBe('past_due');

    // Healing again changes nothing: no drift is left, and no row is written.
    const before = await counts(t.db);
    const again = await driftRun(rt, true);
    expect(again).toMatchObject({ driftCount: 0, fixedCount: 0 });
    expect(await counts(t.db)).toEqual(before);

    // The synthetic event's id is deterministic: the same Stripe state never records twice.
    await t.db.query("UPDATE customers SET lifecycle = 'paid' WHERE id = $1", [customer.id]);
    const replayed = await driftRun(rt, true);
    expect(replayed.entries[0]!.fix).toMatchObject({ fixed: false, action: expect.stringContaining(`${eventId} was already recorded`) });
    expect((await counts(t.db)).inbox).toBe(before.inbox);
  });

  it('a newer webhook wins over the reconcile event: a fix never moves the customer back', async () => {
    const a = await paidCustomer(rt, p, 'racer');
    p.stripe.upsertSubscription(stripeSubscription({ id: a.sub, customer: a.cus, status: 'past_due', created: T0, periodStart: T0 + 30 * DAY }));
    const found = await driftRun(rt);
    expect(found.driftCount).toBe(1);
    // Stripe recovered the payment and its webhook (created after this run reads Stripe) arrives first.
    const recovered = stripeSubscription({ id: a.sub, customer: a.cus, status: 'active', created: T0, periodStart: T0 + 30 * DAY });
    const future = Math.floor(Date.now() / 1000) + 3600;
    const evt = stripeEvent('customer.subscription.updated', 'subscription', structuredClone(recovered), { created: future });
    expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
    const fixed = await driftRun(rt, true);
    expect(fixed.entries[0]!.fix).toMatchObject({ fixed: false, action: expect.stringContaining('stale') });
    expect((await customerRow(t.db, a.email)).lifecycle).toBe('paid');
  });

  it('a ticket solved in Zendesk while Handoff says needs_support: detected as a missed webhook, healed to support none', async () => {
    const { email } = await paidCustomer(rt, p, 'helped');
    const ticketId = await escalate(rt, p, email, 'esc-helped-1');
    expect((await customerRow(t.db, email)).support).toBe('needs_support');
    p.zd.tickets.get(ticketId)!.status = 'solved'; // an agent solved it; the webhook never came
    p.zd.tickets.get(ticketId)!.updated_at = new Date().toISOString();

    const found = await driftRun(rt);
    expect(found.entries).toEqual([
      expect.objectContaining({ email, provider: 'zendesk', field: 'support', handoffValue: 'needs_support', providerValue: 'none', cause: 'missed_webhook' }),
    ]);
    const fixed = await driftRun(rt, true);
    expect(fixed.entries[0]!.fix).toMatchObject({ fixed: true });
    const c = await customerRow(t.db, email);
    expect(c.support).toBe('none');
    expect(await reconcileNotes(t.db, c.id)).toEqual(['reconcile: Zendesk has no open ticket (support needs_support → none)']);
    await settled(t.db);
    expect(p.hub.contacts.get(email)?.properties.handoff_support).toBe('none');
    expect((await driftRun(rt)).driftCount).toBe(0);
  });

  it('a resolution held while the ticket\'s own job was still retrying is healed: detected as held, fixed to support none, once', async () => {
    const { email } = await paidCustomer(rt, p, 'held');
    const ticketId = await escalate(rt, p, email, 'esc-held-1');
    const c0 = await customerRow(t.db, email);
    expect(c0.support).toBe('needs_support');
    // As if the ticket's create_ticket job were still waiting to retry (its answer was lost) when the agent solved it.
    const { rows: jobRows } = await t.db.query<{ id: number }>(
      `UPDATE jobs SET status = 'pending', run_at = now() + interval '1 hour', finished_at = NULL
       WHERE customer_id = $1 AND connector = 'zendesk' AND kind = 'create_ticket' RETURNING id`,
      [c0.id],
    );
    expect(jobRows).toHaveLength(1);
    // The agent solves it; Zendesk's webhook carries the ticket's update time (had the ticket changed again since, the
    // next reconcile would find it newer and heal it as a missed webhook).
    const solvedAt = new Date();
    Object.assign(p.zd.tickets.get(ticketId)!, { status: 'solved', updated_at: solvedAt.toISOString() });
    const body = JSON.stringify(
      zendeskStatusChanged({ id: ticketId, status: 'solved', subject: 'help', priority: null, requester_id: 1, external_id: null, tags: [], created_at: '', updated_at: '' }, 'open', { id: `zd-held-${ticketId}`, time: solvedAt }),
    );
    const res = await rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, ZENDESK_WEBHOOK_SECRET) });
    expect(res.status).toBe(200);
    const { rows: inbox } = await t.db.query<{ outcome: string; outcome_reason: string }>(`SELECT outcome, outcome_reason FROM inbox_events WHERE source = 'zendesk' ORDER BY id DESC LIMIT 1`);
    expect(inbox[0]).toMatchObject({ outcome: 'ignored', outcome_reason: expect.stringContaining('1 being opened') });
    // The job then finds the ticket it had created (the retry's answer) and finishes; nothing re-checks the resolution.
    await t.db.query(`UPDATE jobs SET status = 'done', run_at = now(), finished_at = now() WHERE id = $1`, [jobRows[0]!.id]);
    expect((await customerRow(t.db, email)).support).toBe('needs_support');

    const found = await driftRun(rt);
    expect(found.entries).toEqual([expect.objectContaining({ email, provider: 'zendesk', field: 'support', handoffValue: 'needs_support', providerValue: 'none', cause: 'held_resolution' })]);
    const fixed = await driftRun(rt, true);
    expect(fixed.entries[0]!.fix).toMatchObject({ fixed: true });
    expect((await customerRow(t.db, email)).support).toBe('none');
    expect((await driftRun(rt)).driftCount).toBe(0);
  });

  it('a provider that refuses us is reported and the others are still compared (a partial report)', async () => {
    const { email } = await paidCustomer(rt, p, 'refused');
    p.hub.edit(email, { handoff_support: 'needs_support' });
    p.stripe.faults.push({ status: 401 });
    const report = await driftRun(rt);
    expect(report.providers.stripe).toBe(false);
    expect(report.errors).toEqual([{ provider: 'stripe', message: expect.stringContaining('STRIPE_SECRET_KEY') }]);
    expect(report.errors[0]!.message).not.toContain(providerEnv(p).STRIPE_SECRET_KEY);
    expect(report.entries.map((e) => [e.provider, e.field])).toEqual([['hubspot', 'handoff_support']]);
  });

  it('rate limits are waited out: a 429 from HubSpot and Zendesk (Retry-After) is retried, nothing is reported missing', async () => {
    const { email } = await paidCustomer(rt, p, 'limited');
    const ticketId = await escalate(rt, p, email, 'esc-limited-1');
    p.zd.tickets.get(ticketId)!.status = 'closed';
    p.hub.faults.push({ status: 429 });
    p.zd.faults.push({ status: 429, retryAfter: 1 });
    const report = await driftRun(rt);
    expect(report.errors).toEqual([]);
    expect(report.entries.map((e) => [e.provider, e.field, e.providerValue])).toEqual([['zendesk', 'support', 'none']]);
    const limited = (reqs: Array<{ fault?: string; path: string }>, path: string) => reqs.filter((r) => r.fault === '429' && r.path.includes(path)).length;
    expect(limited(p.hub.requests, `/crm/v3/objects/contacts/${encodeURIComponent(email)}`)).toBe(1);
    expect(limited(p.zd.requests, '/api/v2/tickets/show_many.json')).toBe(1);
  });

  it('--customer narrows the run; an unknown customer is a 404', async () => {
    const a = await paidCustomer(rt, p, 'one');
    await paidCustomer(rt, p, 'two');
    expect((await driftRun(rt, false, { customer: a.cus })).customersChecked).toBe(1);
    expect((await driftRun(rt, false, { limit: 1 })).customersChecked).toBe(1);
    const res = await rt.app.request('/api/drift/run', { method: 'POST', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ customer: 'nobody@example.com' }) });
    expect(res.status).toBe(404);
  });

  it('GET /api/drift: 401 without or with a wrong token, 403 for an app API key; bad bodies are 400s', async () => {
    expect((await rt.app.request('/api/drift')).status).toBe(401);
    expect((await rt.app.request('/api/drift', { headers: { authorization: 'Bearer not-the-admin-token-at-all' } })).status).toBe(401);
    const forbidden = await rt.app.request('/api/drift', { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toContain('admin token');
    expect((await rt.app.request('/api/drift/fix', { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(403);
    const before = await counts(t.db);
    for (const body of ['{', '[]', '{"limit":0}', '{"customer":""}', '{"fix":true}', '{"customer":"a\\u0000b"}']) {
      const res = await rt.app.request('/api/drift/fix', { method: 'POST', headers: { ...adminHeaders, 'content-type': 'application/json' }, body });
      expect(res.status, body).toBe(400);
    }
    expect(await counts(t.db)).toEqual(before);
    const empty = await rt.app.request('/api/drift', { headers: adminHeaders });
    expect(await empty.json()).toEqual({ report: null });
  });
});
