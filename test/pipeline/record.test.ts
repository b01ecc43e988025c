import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { fromApp, fromClerk, fromStripe, type DomainEvent } from '../../src/events/index.js';
import { record, type RecordDeps } from '../../src/pipeline/index.js';
import { clerkUserCreated } from '../support/clerk.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED as T, loadFixtureEvent, stripeEvent, type JsonObject, type StripeEventJson } from '../support/stripe-fixtures.js';

const deps: RecordDeps = {
  clock: systemClock,
  ids: systemIds,
  enabledConnectors: new Set(['hubspot', 'slack']),
  maxAttempts: 5,
};

interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  lifecycle: string;
  support: string;
  merged_into: string | null;
  created_at: Date;
}
interface TimelineRow {
  id: number;
  customer_id: string;
  inbox_id: number | null;
  kind: string;
  from_state: string | null;
  to_state: string | null;
  rule: string | null;
  detail: Record<string, unknown>;
}
interface JobRow {
  id: number;
  connector: string;
  kind: string;
  idempotency_key: string;
  customer_id: string;
  inbox_id: number;
  status: string;
  max_attempts: number;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  finished_at: Date | null;
}
interface InboxRow {
  id: number;
  source: string;
  event_id: string;
  type: string;
  outcome: string;
  outcome_reason: string | null;
  customer_id: string | null;
  payload: Record<string, unknown>;
}

/** A subscription event on sub_1 / cus_1 (by default) with the given status and `created`. */
const subEvent = (type: string, status: string, created: number, over: JsonObject = {}) =>
  stripeEvent(type, 'subscription', { id: 'sub_1', customer: 'cus_1', status, ...over }, { created });

const failedInvoice = (created: number, over: JsonObject = {}) =>
  stripeEvent(
    'invoice.payment_failed',
    'invoice',
    { id: `in_${created}`, customer: 'cus_1', amount_due: 4900, attempt_count: 1, parent: { subscription_details: { subscription: 'sub_1' } }, ...over },
    { created },
  );

const checkout = (over: JsonObject, created = T) => stripeEvent('checkout.session.completed', 'checkout.session', over, { created });

const app = (body: Record<string, unknown>) => fromApp(body, new Date());

describe.each(DB_KINDS)('record() on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  const rec = (e: DomainEvent, payload: unknown = {}, d: RecordDeps = deps) => record(t.db, e, payload, d);
  const recStripe = (evt: StripeEventJson, d: RecordDeps = deps) => record(t.db, fromStripe(evt), evt, d);

  const rows = async <R>(text: string, params: unknown[] = []) => (await t.db.query<R>(text, params)).rows;
  const count = async (table: string) => Number((await rows<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`))[0]!.n);
  const counts = async () => ({
    inbox: await count('inbox_events'),
    customers: await count('customers'),
    identities: await count('identities'),
    timeline: await count('timeline'),
    jobs: await count('jobs'),
    watermarks: await count('watermarks'),
  });
  const customers = () => rows<CustomerRow>('SELECT * FROM customers ORDER BY created_at, id');
  const customer = async (id: string) => (await rows<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]))[0]!;
  const ownerOf = async (kindName: string, value: string) =>
    (await rows<{ customer_id: string }>('SELECT customer_id FROM identities WHERE kind = $1 AND value = $2', [kindName, value]))[0]?.customer_id;
  const identitiesOf = async (id: string) =>
    (await rows<{ kind: string; value: string }>('SELECT kind, value FROM identities WHERE customer_id = $1 ORDER BY kind, value', [id])).map(
      (r) => `${r.kind}:${r.value}`,
    );
  const timelineOf = (id: string) => rows<TimelineRow>('SELECT * FROM timeline WHERE customer_id = $1 ORDER BY id', [id]);
  const jobsOf = (id: string) => rows<JobRow>('SELECT * FROM jobs WHERE customer_id = $1 ORDER BY id', [id]);
  const inbox = async (source: string, eventId: string) =>
    (await rows<InboxRow>('SELECT * FROM inbox_events WHERE source = $1 AND event_id = $2', [source, eventId]))[0]!;

  describe('trial → paid from Stripe subscription events', () => {
    it('records transitions with from/to/rule and inbox ids, and queues keyed jobs', async () => {
      const created = subEvent('customer.subscription.created', 'trialing', T);
      const r1 = await recStripe(created);
      expect(r1).toMatchObject({ duplicate: false, outcome: 'applied', reason: 'trial_started', jobsQueued: 1 });
      const cid = r1.customerId!;
      expect(cid).toEqual(expect.any(String));
      expect((await customer(cid)).lifecycle).toBe('trial');

      const updated = subEvent('customer.subscription.updated', 'active', T + 10);
      const r2 = await recStripe(updated);
      expect(r2).toMatchObject({ duplicate: false, outcome: 'applied', reason: 'first_payment', customerId: cid, jobsQueued: 2 });
      expect(r2.inboxId).not.toBe(r1.inboxId);

      const c = await customer(cid);
      expect(c).toMatchObject({ lifecycle: 'paid', support: 'none', merged_into: null });
      expect(await identitiesOf(cid)).toEqual(['stripe_customer:cus_1']);
      expect(await customers()).toHaveLength(1);

      const tl = await timelineOf(cid);
      expect(tl.map((r) => [r.kind, r.from_state, r.to_state, r.rule, r.inbox_id])).toEqual([
        ['transition', 'new', 'trial', 'trial_started', r1.inboxId],
        ['transition', 'trial', 'paid', 'first_payment', r2.inboxId],
      ]);
      expect(tl[1]!.detail).toMatchObject({ facts: { subscription_id: 'sub_1', status: 'active' } });

      const jobs = await jobsOf(cid);
      expect(jobs.map((j) => [j.idempotency_key, j.connector, j.kind, j.status, j.inbox_id, j.max_attempts])).toEqual([
        [`crm_sync:stripe:${created.id}`, 'hubspot', 'upsert_contact', 'pending', r1.inboxId, 5],
        [`crm_sync:stripe:${updated.id}`, 'hubspot', 'upsert_contact', 'pending', r2.inboxId, 5],
        [`slack_new_paying:stripe:${updated.id}`, 'slack', 'notify', 'pending', r2.inboxId, 5],
      ]);
      expect(jobs[2]!.payload).toMatchObject({ template: 'new_paying_customer', requires: { lifecycle: ['paid'] } });

      const i1 = await inbox('stripe', created.id);
      expect(i1).toMatchObject({ id: r1.inboxId, type: 'customer.subscription.created', outcome: 'applied', outcome_reason: 'trial_started', customer_id: cid });
      expect(i1.payload).toMatchObject({ id: created.id, type: 'customer.subscription.created' });
      expect(await inbox('stripe', updated.id)).toMatchObject({ outcome: 'applied', outcome_reason: 'first_payment', customer_id: cid });

      const wm = await rows<{ object_key: string; created: number; event_id: string }>('SELECT * FROM watermarks ORDER BY object_key');
      expect(wm.map((w) => [w.object_key, Number(w.created), w.event_id])).toEqual([
        ['stripe:cus:cus_1', T + 10, updated.id],
        ['stripe:sub:sub_1', T + 10, updated.id],
      ]);
    });
  });

  describe('duplicates', () => {
    it('the same event recorded twice changes nothing the second time', async () => {
      const evt = subEvent('customer.subscription.updated', 'active', T);
      const first = await recStripe(evt);
      expect(first).toMatchObject({ duplicate: false, outcome: 'applied', jobsQueued: 2 });
      const before = await counts();
      expect(before).toMatchObject({ inbox: 1, customers: 1, timeline: 1, jobs: 2 });

      const again = await recStripe(structuredClone(evt));
      expect(again).toEqual({ duplicate: true, jobsQueued: 0 });
      expect(await counts()).toEqual(before);
    });

    it('50 concurrent deliveries of one event: one inbox row, one customer, the jobs once', async () => {
      const evt = subEvent('customer.subscription.updated', 'active', T);
      const results = await Promise.all(Array.from({ length: 50 }, () => recStripe(structuredClone(evt))));
      const applied = results.filter((r) => !r.duplicate);
      expect(applied).toHaveLength(1);
      expect(applied[0]).toMatchObject({ outcome: 'applied', jobsQueued: 2 });
      expect(results.filter((r) => r.duplicate)).toHaveLength(49);
      expect(await counts()).toMatchObject({ inbox: 1, customers: 1, identities: 1, timeline: 1, jobs: 2 });
      expect((await rows<JobRow>('SELECT * FROM jobs ORDER BY id')).map((j) => j.idempotency_key).sort()).toEqual(
        [`crm_sync:stripe:${evt.id}`, `slack_new_paying:stripe:${evt.id}`].sort(),
      );
    });

    it('20 different events for the same NEW email at once → exactly one customer', async () => {
      const events = Array.from({ length: 20 }, (_, i) =>
        app({ id: `signup_${i}`, type: i % 2 ? 'user.activated' : 'user.signed_up', customer: { email: i % 3 ? 'Same@Example.com' : 'same@example.com' } }),
      );
      const results = await Promise.all(events.map((e) => rec(e)));
      expect(results.every((r) => !r.duplicate && r.outcome === 'applied')).toBe(true);
      const all = await customers();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ email: 'same@example.com', lifecycle: 'lead', merged_into: null });
      expect(new Set(results.map((r) => r.customerId))).toEqual(new Set([all[0]!.id]));
      expect(await identitiesOf(all[0]!.id)).toEqual(['email:same@example.com']);
      expect(await counts()).toMatchObject({ inbox: 20, customers: 1, identities: 1, timeline: 20, jobs: 20 });
      // Exactly one of them saw the customer as new.
      const tl = await timelineOf(all[0]!.id);
      expect(tl.filter((r) => r.from_state === 'new')).toHaveLength(1);
    });

    it('concurrent events naming one new customer by different, overlapping identities → one customer', async () => {
      // Each event carries email + a per-event Stripe id; all share the email lock.
      const evts = Array.from({ length: 10 }, (_, i) =>
        checkout({ id: `cs_${i}`, customer: `cus_c${i}`, customer_details: { email: 'Many@Example.com' }, payment_status: 'paid', amount_total: 100 }, T + i),
      );
      const results = await Promise.all(evts.map((e) => recStripe(e)));
      expect(results.every((r) => r.outcome === 'applied')).toBe(true);
      const live = (await customers()).filter((c) => c.merged_into === null);
      expect(live).toHaveLength(1);
      expect(await count('customers')).toBe(1);
      expect((await identitiesOf(live[0]!.id)).sort()).toEqual(['email:many@example.com', ...evts.map((_, i) => `stripe_customer:cus_c${i}`)].sort());
      expect(live[0]!.lifecycle).toBe('paid');
    });
  });

  describe('out-of-order Stripe events (watermarks)', () => {
    it('a late trialing after an applied active is stale: the customer stays paid, a stale timeline row explains it', async () => {
      const active = subEvent('customer.subscription.updated', 'active', T + 10);
      const trialing = subEvent('customer.subscription.created', 'trialing', T);
      const r1 = await recStripe(active);
      expect(r1.outcome).toBe('applied');
      const jobsBefore = await count('jobs');

      const r2 = await recStripe(trialing);
      expect(r2).toMatchObject({ duplicate: false, outcome: 'stale', customerId: r1.customerId, jobsQueued: 0 });
      expect(r2.reason).toBe(`stale: created ${T} is older than ${T + 10} already applied`);
      expect((await customer(r1.customerId!)).lifecycle).toBe('paid');
      expect(await inbox('stripe', trialing.id)).toMatchObject({ outcome: 'stale', outcome_reason: r2.reason, customer_id: r1.customerId });
      const stale = (await timelineOf(r1.customerId!)).filter((r) => r.kind === 'stale');
      expect(stale).toHaveLength(1);
      expect(stale[0]).toMatchObject({ inbox_id: r2.inboxId, from_state: 'paid', to_state: 'paid', rule: null, detail: { reason: r2.reason } });
      expect(await count('jobs')).toBe(jobsBefore);
      // The watermark is not moved back.
      expect((await rows<{ created: number; event_id: string }>("SELECT * FROM watermarks WHERE object_key = 'stripe:sub:sub_1'"))[0]).toMatchObject({
        event_id: active.id,
      });
    });

    it('invoice.payment_failed created before an applied active is stale: no past_due; its alert is queued to re-check', async () => {
      const active = subEvent('customer.subscription.updated', 'active', T + 10);
      const failed = failedInvoice(T + 5);
      const { customerId } = await recStripe(active);
      const r = await recStripe(failed);
      expect(r.outcome).toBe('stale');
      expect((await customer(customerId!)).lifecycle).toBe('paid');
      // The alert belongs to the event; it requires past_due when it runs, so the dispatcher will skip it.
      const alert = (await jobsOf(customerId!)).find((j) => j.idempotency_key === `slack_payment_failed:stripe:${failed.id}`);
      expect(alert).toMatchObject({ status: 'pending', payload: { requires: { lifecycle: ['past_due'] } } });
      expect((await jobsOf(customerId!)).map((j) => j.idempotency_key)).not.toContain(`crm_sync:stripe:${failed.id}`);
      expect(await inbox('stripe', failed.id)).toMatchObject({ outcome: 'stale' });
      const stale = (await timelineOf(customerId!)).find((row) => row.kind === 'stale');
      expect(stale?.detail).toMatchObject({ queued: ['slack_payment_failed', 'email_payment_failed'] });
    });

    it('a payment failure delivered after the newer past_due it caused still alerts once', async () => {
      const failed = failedInvoice(T);
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'past_due', T + 1));
      const r = await recStripe(failed);
      expect(r).toMatchObject({ outcome: 'stale', jobsQueued: 1 });
      expect((await customer(customerId!)).lifecycle).toBe('past_due');
      expect((await jobsOf(customerId!)).filter((j) => j.idempotency_key === `slack_payment_failed:stripe:${failed.id}`)).toHaveLength(1);
      // A redelivery of the same event queues nothing more.
      expect((await recStripe(failed)).duplicate).toBe(true);
    });

    it('a newer payment_failed after active applies: paid → past_due with an alert', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'active', T));
      const failed = failedInvoice(T + 5);
      const r = await recStripe(failed);
      expect(r).toMatchObject({ outcome: 'applied', reason: 'payment_failed', jobsQueued: 2 });
      expect((await customer(customerId!)).lifecycle).toBe('past_due');
      expect((await jobsOf(customerId!)).map((j) => j.idempotency_key)).toContain(`slack_payment_failed:stripe:${failed.id}`);
    });

    it('ties are not stale: two events created in the same second both apply, in arrival order', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'active', T));
      const r = await recStripe(failedInvoice(T));
      expect(r.outcome).toBe('applied');
      expect((await customer(customerId!)).lifecycle).toBe('past_due');
    });

    it('the customer key orders events across that customer’s objects', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'active', T + 10));
      // Another subscription of the same Stripe customer, older than the applied event.
      const r = await recStripe(subEvent('customer.subscription.deleted', 'canceled', T, { id: 'sub_2' }));
      expect(r.outcome).toBe('stale');
      expect((await customer(customerId!)).lifecycle).toBe('paid');
    });

    it('trial_will_end is never stale because of lifecycle events on its subscription, nor makes them stale', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'active', T + 10));
      const reminder = subEvent('customer.subscription.trial_will_end', 'trialing', T, { trial_end: T + 3 * 86400 });
      const r1 = await recStripe(reminder);
      expect(r1).toMatchObject({ outcome: 'applied', reason: 'trial_ending', customerId, jobsQueued: 0 });
      expect((await customer(customerId!)).lifecycle).toBe('paid');

      // A reminder far in the future does not block a later-arriving (older) lifecycle event.
      const reminder2 = subEvent('customer.subscription.trial_will_end', 'trialing', T + 1000, { id: 'sub_1' });
      expect((await recStripe(reminder2)).outcome).toBe('applied');
      const failed = failedInvoice(T + 20);
      expect((await recStripe(failed)).outcome).toBe('applied');
      expect((await customer(customerId!)).lifecycle).toBe('past_due');

      // Reminders are ordered only among themselves.
      const oldReminder = subEvent('customer.subscription.trial_will_end', 'trialing', T + 500);
      expect((await recStripe(oldReminder)).outcome).toBe('stale');
      const keys = (await rows<{ object_key: string; created: number }>('SELECT * FROM watermarks ORDER BY object_key')).map((w) => [w.object_key, Number(w.created)]);
      expect(keys).toEqual([
        ['stripe:cus:cus_1', T + 20],
        ['stripe:sub:sub_1', T + 20],
        ['stripe:trial_will_end:sub_1', T + 1000],
      ]);
    });

    it('a refund (no watermark) is never stale, and an ignored event never advances a watermark', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.updated', 'active', T + 10));
      const refund = stripeEvent('charge.refunded', 'charge', { customer: 'cus_1', refunded: true, amount_refunded: 100 }, { created: T });
      const r = await recStripe(refund);
      expect(r).toMatchObject({ outcome: 'applied', reason: 'refund', jobsQueued: 1 });
      expect((await jobsOf(customerId!)).map((j) => j.idempotency_key)).toContain(`slack_refund:stripe:${refund.id}`);

      // An `incomplete` subscription update (kind null) far in the future does not make real events stale.
      const incomplete = subEvent('customer.subscription.updated', 'incomplete', T + 10_000);
      const ri = await recStripe(incomplete);
      expect(ri).toMatchObject({ outcome: 'ignored', customerId });
      expect(ri.reason).toMatch(/incomplete/);
      expect((await recStripe(failedInvoice(T + 20))).outcome).toBe('applied');
      const wm = await rows<{ created: number }>("SELECT created FROM watermarks WHERE object_key = 'stripe:sub:sub_1'");
      expect(Number(wm[0]!.created)).toBe(T + 20);
    });
  });

  describe('identity resolution and merge', () => {
    it('links identities across sources, then merges two customers that one event proves are the same', async () => {
      // A: app signup.
      const ra = await rec(app({ id: 'a1', type: 'user.signed_up', customer: { email: 'a@x.com', user_id: 'u1', name: 'Ann' } }));
      const A = ra.customerId!;
      expect(await customer(A)).toMatchObject({ email: 'a@x.com', name: 'Ann', lifecycle: 'lead' });

      // Stripe checkout (unpaid trial checkout) with cus_1 and another case of A's email joins A, moves nothing
      // (it counts as a signup: identities linked, the CRM told, the lifecycle left to the subscription events).
      const co = checkout({ customer: 'cus_1', customer_details: { email: '  A@X.COM ' }, payment_status: 'no_payment_required' });
      const rc = await recStripe(co);
      expect(rc).toMatchObject({ outcome: 'applied', reason: 'signup', customerId: A });
      expect((await customer(A)).lifecycle).toBe('lead');
      expect(await count('customers')).toBe(1);
      expect(await identitiesOf(A)).toEqual(['app_user:u1', 'email:a@x.com', 'stripe_customer:cus_1']);

      // B: a different person (u2, b@x), who starts a trial.
      const rb = await rec(app({ id: 'b1', type: 'user.signed_up', customer: { email: 'b@x.com', user_id: 'u2' } }));
      const B = rb.customerId!;
      expect(B).not.toBe(A);
      await rec(app({ id: 'b2', type: 'trial.started', customer: { user_id: 'u2' } }));
      expect((await customer(B)).lifecycle).toBe('trial');
      const bJobs = (await jobsOf(B)).map((j) => j.id);
      const bTimeline = (await timelineOf(B)).map((r) => r.id);
      expect(bJobs).toHaveLength(2);
      expect(bTimeline).toHaveLength(2);

      // B also asked the chatbot for something.
      await t.db.query(
        `INSERT INTO chatbot_decisions (id, conversation_id, customer_id, action, message, classification, category, priority, decision, rule, reason)
         VALUES ('d1', 'conv1', $1, 'tag_customer', 'tag me', '{}', 'general', 'normal', 'rejected', 'test', 'test')`,
        [B],
      );

      // One event names cus_1 (A) and b@x (B): they are one customer.
      const link = failedInvoice(T, { customer: 'cus_1', customer_email: 'B@x.com' });
      const rl = await recStripe(link);
      expect(rl.customerId).toBe(A); // the oldest survives
      expect(rl).toMatchObject({ outcome: 'applied', reason: 'payment_failed' });

      const a = await customer(A);
      const b = await customer(B);
      expect(b.merged_into).toBe(A);
      expect(a.merged_into).toBeNull();
      // The survivor keeps its own email (an event's email only fills a gap); B's address is an identity.
      expect(a.email).toBe('a@x.com');
      // Survivor took B's trial (more committed than lead), then the failure moved it trial → past_due.
      expect(a.lifecycle).toBe('past_due');
      expect(await identitiesOf(A)).toEqual(['app_user:u1', 'app_user:u2', 'email:a@x.com', 'email:b@x.com', 'stripe_customer:cus_1']);
      expect(await identitiesOf(B)).toEqual([]);
      expect(await jobsOf(B)).toEqual([]);
      expect(await timelineOf(B)).toEqual([]);
      expect((await jobsOf(A)).map((j) => j.id)).toEqual(expect.arrayContaining(bJobs));
      expect((await t.db.query(`SELECT customer_id FROM chatbot_decisions WHERE id = 'd1'`)).rows).toEqual([{ customer_id: A }]);
      expect((await timelineOf(A)).map((r) => r.id)).toEqual(expect.arrayContaining(bTimeline));
      expect(await rows('SELECT id FROM inbox_events WHERE customer_id = $1', [B])).toEqual([]);
      expect((await inbox('app', 'b2')).customer_id).toBe(A);

      const tl = await timelineOf(A);
      const merge = tl.filter((r) => r.kind === 'merge');
      expect(merge).toHaveLength(1);
      expect(merge[0]).toMatchObject({ inbox_id: rl.inboxId, rule: 'identity_merge', detail: { merged: [B] } });
      const last = tl[tl.length - 1]!;
      expect(last).toMatchObject({ kind: 'transition', from_state: 'trial', to_state: 'past_due', rule: 'payment_failed', inbox_id: rl.inboxId });

      // Later events naming only B's old identities land on the survivor.
      const later = await rec(app({ id: 'b3', type: 'support.escalation_requested', customer: { user_id: 'u2' } }));
      expect(later.customerId).toBe(A);
      expect(await customer(A)).toMatchObject({ support: 'needs_support', lifecycle: 'past_due' });
      expect(await count('customers WHERE merged_into IS NULL')).toBe(1);
    });

    it('the survivor keeps the more committed lifecycle and open support even when the merging event changes nothing', async () => {
      const A = (await rec(app({ id: 'a1', type: 'user.signed_up', customer: { email: 'a@x.com', user_id: 'u1' } }))).customerId!;
      const B = (await recStripe(subEvent('customer.subscription.created', 'active', T, { customer: 'cus_9' }))).customerId!;
      await rec(app({ id: 'a2', type: 'support.escalation_requested', customer: { user_id: 'u1' } }));
      expect((await customer(A)).lifecycle).toBe('lead');
      expect((await customer(B)).lifecycle).toBe('paid');

      // A Stripe checkout with client_reference_id = u1 (A's app user) and customer cus_9 (B) links them;
      // it is unpaid, so it moves no lifecycle itself (a signup: stays): only the merge decides the survivor's state.
      const co = checkout({ customer: 'cus_9', client_reference_id: 'u1', customer_details: { email: null }, payment_status: 'unpaid' });
      const r = await recStripe(co);
      expect(r).toMatchObject({ outcome: 'applied', reason: 'signup', customerId: A });
      expect(await customer(A)).toMatchObject({ lifecycle: 'paid', support: 'needs_support', merged_into: null });
      expect((await customer(B)).merged_into).toBe(A);
      expect((await timelineOf(A)).filter((x) => x.kind === 'merge')).toHaveLength(1);
      expect((await inbox('stripe', co.id)).customer_id).toBe(A);
    });

    it('Clerk user.created joins the app customer with the same email', async () => {
      const A = (await rec(app({ id: 'a1', type: 'user.signed_up', customer: { email: 'jane@example.com' } }))).customerId!;
      const payload = clerkUserCreated({ primary: 'Jane@Example.com', first: 'Jane', last: 'Doe' });
      const r = await rec(fromClerk(payload, { id: 'msg_1' }), payload);
      expect(r).toMatchObject({ customerId: A, outcome: 'applied', reason: 'signup' });
      expect(await identitiesOf(A)).toEqual(['clerk_user:user_clerk_1', 'email:jane@example.com']);
      expect((await customer(A)).name).toBe('Jane Doe');
      expect(await ownerOf('email', 'old@example.com')).toBeUndefined();
      expect((await jobsOf(A)).map((j) => j.idempotency_key)).toEqual(['crm_sync:app:a1', 'crm_sync:clerk:msg_1']);
    });
  });

  describe('connectors, unknown events, no identities', () => {
    it('jobs for a disabled connector are recorded as skipped with the reason', async () => {
      const only = { ...deps, enabledConnectors: new Set(['slack'] as const) };
      const evt = subEvent('customer.subscription.updated', 'active', T);
      const r = await recStripe(evt, only);
      expect(r).toMatchObject({ outcome: 'applied', jobsQueued: 1 });
      const jobs = await jobsOf(r.customerId!);
      expect(jobs.map((j) => [j.idempotency_key, j.status])).toEqual([
        [`crm_sync:stripe:${evt.id}`, 'skipped'],
        [`slack_new_paying:stripe:${evt.id}`, 'pending'],
      ]);
      expect(jobs[0]!.result).toEqual({ skipped: 'connector hubspot is not configured' });
      expect(jobs[0]!.finished_at).toBeInstanceOf(Date);
      expect(jobs[1]!.result).toBeNull();
      expect(jobs[1]!.finished_at).toBeNull();

      const none = { ...deps, enabledConnectors: new Set<never>() };
      const r2 = await rec(app({ id: 'x1', type: 'user.signed_up', customer: { email: 'n@x.com' } }), {}, none);
      expect(r2).toMatchObject({ outcome: 'applied', jobsQueued: 0 });
      expect((await jobsOf(r2.customerId!)).map((j) => j.status)).toEqual(['skipped']);
    });

    it('an unknown Stripe type (real customer.updated delivery) is stored and ignored; no customer, no jobs', async () => {
      const evt = loadFixtureEvent('customer_updated');
      const r = await recStripe(evt);
      expect(r).toMatchObject({ duplicate: false, outcome: 'ignored', reason: 'no rule for stripe event type customer.updated', jobsQueued: 0 });
      expect(r.customerId).toBeUndefined();
      expect(await counts()).toEqual({ inbox: 1, customers: 0, identities: 0, timeline: 0, jobs: 0, watermarks: 0 });
      const row = await inbox('stripe', evt.id);
      expect(row).toMatchObject({ type: 'customer.updated', outcome: 'ignored', customer_id: null });
      expect(row.payload).toMatchObject({ id: evt.id, data: { object: { id: 'cus_IhGfebO16cMIGN' } } });
    });

    it('an unknown Stripe type for a known customer is attributed to it, still with no state change or jobs', async () => {
      const evt = loadFixtureEvent('customer_updated');
      const A = (await rec(app({ id: 'a1', type: 'user.signed_up', customer: { email: 'billz@supabase.io' } }))).customerId!;
      const before = await counts();
      const r = await recStripe(evt);
      expect(r).toMatchObject({ outcome: 'ignored', customerId: A, jobsQueued: 0 });
      expect((await customer(A)).lifecycle).toBe('lead');
      expect(await count('jobs')).toBe(before.jobs);
      expect((await inbox('stripe', evt.id)).customer_id).toBe(A);
    });

    it('an event with no identities is ignored and creates no customer', async () => {
      const refund = stripeEvent('charge.refunded', 'charge', { customer: null, receipt_email: null, billing_details: { email: null } });
      const e = fromStripe(refund);
      expect(e.identities).toEqual({});
      const r = await rec(e, refund);
      expect(r).toMatchObject({ outcome: 'ignored', reason: 'no customer identity in the event', jobsQueued: 0 });
      expect(r.customerId).toBeUndefined();
      expect(await counts()).toEqual({ inbox: 1, customers: 0, identities: 0, timeline: 0, jobs: 0, watermarks: 0 });
      expect(await inbox('stripe', refund.id)).toMatchObject({ outcome: 'ignored', customer_id: null });
    });

    it('a rule-less transition is recorded as ignored with the reason (churned customer, late failure)', async () => {
      const { customerId } = await recStripe(subEvent('customer.subscription.deleted', 'canceled', T));
      expect((await customer(customerId!)).lifecycle).toBe('churned');
      const failed = failedInvoice(T + 5);
      const r = await recStripe(failed);
      expect(r).toMatchObject({ outcome: 'ignored', reason: 'no rule for payment.failed when churned', jobsQueued: 0 });
      expect((await customer(customerId!)).lifecycle).toBe('churned');
      const tl = await timelineOf(customerId!);
      expect(tl[tl.length - 1]).toMatchObject({ kind: 'ignored', from_state: 'churned', to_state: 'churned', inbox_id: r.inboxId, detail: { reason: r.reason } });
    });
  });
});
