// A customer with several Stripe subscriptions (a second product, an add-on sold as its own subscription): one of
// them ending must not churn a customer another one still pays for, on both engines, through merges, and for
// installs that recorded their subscription events before the subscriptions table existed (migration 0016).
import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { traceCustomer } from '../../src/admin/index.js';
import { renderTrace } from '../../src/cli/commands/trace.js';
import { listMigrations, migrate } from '../../src/db/index.js';
import { fromApp, fromStripe } from '../../src/events/index.js';
import { record, type RecordDeps } from '../../src/pipeline/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED as T, stripeEvent, type JsonObject, type StripeEventJson } from '../support/stripe-fixtures.js';

const deps: RecordDeps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot', 'slack']), maxAttempts: 5 };

/** A subscription event from Stripe's sample subscription object, on the given subscription of cus_multi. */
const sub = (type: string, id: string, status: string, created: number, over: JsonObject = {}) =>
  stripeEvent(type, 'subscription', { id, customer: 'cus_multi', status, ...over }, { created });
/** An invoice event from Stripe's sample invoice object, on sub_new of cus_multi (the subscription where API versions since basil put it). */
const invoice = (type: string, id: string, created: number, over: JsonObject = {}) =>
  stripeEvent(type, 'invoice', { id, customer: 'cus_multi', parent: { subscription_details: { subscription: 'sub_new' } }, ...over }, { created });

describe.each(DB_KINDS)('several subscriptions per customer on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  const recStripe = (evt: StripeEventJson) => record(t.db, fromStripe(evt), evt, deps);
  const rows = async <R>(text: string, params: unknown[] = []) => (await t.db.query<R>(text, params)).rows;
  const lifecycle = async (id: string) => (await rows<{ lifecycle: string }>('SELECT lifecycle FROM customers WHERE id = $1', [id]))[0]!.lifecycle;
  const subscriptions = () => rows<{ id: string; customer_id: string; status: string; created: string }>('SELECT id, customer_id, status, created::text FROM subscriptions ORDER BY id');
  const slackKinds = async (id: string) =>
    (await rows<{ key: string }>("SELECT idempotency_key AS key FROM jobs WHERE customer_id = $1 AND connector = 'slack' ORDER BY id", [id])).map((j) => j.key.split(':')[0]);

  it('an add-on ending leaves a paying customer paid, explains why, and alerts nobody; the last one ending churns', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_main', 'active', T));
    await recStripe(sub('customer.subscription.created', 'sub_addon', 'active', T + 10));
    expect(await lifecycle(id!)).toBe('paid');

    const addonEnded = sub('customer.subscription.deleted', 'sub_addon', 'canceled', T + 20);
    const r = await recStripe(addonEnded);
    expect(r).toMatchObject({ outcome: 'applied', reason: 'subscription_ended_others_live', jobsQueued: 0 });
    expect(await lifecycle(id!)).toBe('paid');
    const [line] = await rows<{ kind: string; from_state: string; to_state: string; rule: string; detail: { conditions?: Record<string, string[]> } }>(
      'SELECT t.kind, t.from_state, t.to_state, t.rule, t.detail FROM timeline t JOIN inbox_events e ON e.id = t.inbox_id WHERE e.event_id = $1',
      [addonEnded.id],
    );
    expect(line).toMatchObject({ kind: 'event', from_state: 'paid', to_state: 'paid', rule: 'subscription_ended_others_live' });
    expect(line!.detail.conditions).toEqual({ another_subscription_live: ['sub_main active'] });
    // `handoff trace` (and the dashboard) say why the state stayed.
    expect(renderTrace(await traceCustomer(t.db, id!)).join('\n')).toContain('state stays paid (rule subscription_ended_others_live; another subscription live: sub_main active)');
    expect(await subscriptions()).toEqual([
      { id: 'sub_addon', customer_id: id, status: 'canceled', created: String(T + 20) },
      { id: 'sub_main', customer_id: id, status: 'active', created: String(T) },
    ]);

    const mainEnded = await recStripe(sub('customer.subscription.deleted', 'sub_main', 'canceled', T + 30));
    expect(mainEnded).toMatchObject({ outcome: 'applied', reason: 'churned' });
    expect(await lifecycle(id!)).toBe('churned');
    expect(await slackKinds(id!)).toEqual(['slack_new_paying', 'slack_churned']);
  });

  it('a past_due or trialing subscription still counts as live; a canceled or incomplete one does not', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_a', 'active', T));
    await recStripe(sub('customer.subscription.updated', 'sub_b', 'incomplete', T + 5));
    await recStripe(sub('customer.subscription.updated', 'sub_c', 'past_due', T + 6));
    const aEnded = await recStripe(sub('customer.subscription.updated', 'sub_a', 'canceled', T + 10));
    expect(aEnded.reason).toBe('subscription_ended_others_live');
    expect(await lifecycle(id!)).toBe('past_due');
    const cEnded = await recStripe(sub('customer.subscription.deleted', 'sub_c', 'past_due', T + 20));
    expect(cEnded.reason).toBe('churned');
    expect(await lifecycle(id!)).toBe('churned');
    expect((await subscriptions()).map((s) => `${s.id} ${s.status}`)).toEqual(['sub_a canceled', 'sub_b incomplete', 'sub_c canceled']);
  });

  it("a subscription's status only moves forward, even from an event stale for the customer", async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_a', 'active', T + 100));
    // sub_b's older events arrive late: stale for the customer (its newest event is sub_a's), yet news on sub_b.
    const late = await recStripe(sub('customer.subscription.created', 'sub_b', 'active', T + 50));
    expect(late.outcome).toBe('stale');
    await recStripe(sub('customer.subscription.updated', 'sub_b', 'trialing', T + 40)); // older still: changes nothing
    expect((await subscriptions()).map((s) => `${s.id} ${s.status} ${s.created}`)).toEqual([`sub_a active ${T + 100}`, `sub_b active ${T + 50}`]);
    expect(await lifecycle(id!)).toBe('paid');
  });

  const timelineOf = (eventId: string) =>
    rows<{ kind: string; from_state: string; to_state: string; rule: string | null; detail: { late?: string; reason?: string } }>(
      'SELECT t.kind, t.from_state, t.to_state, t.rule, t.detail FROM timeline t JOIN inbox_events e ON e.id = t.inbox_id WHERE e.event_id = $1',
      [eventId],
    );

  it('a plan switch delivered out of order: the new subscription, late, takes the customer from churned back to paid and says why', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_old', 'active', T));
    // The switch: sub_new created at T+10, sub_old deleted at T+20; the deletion is delivered first.
    expect(await recStripe(sub('customer.subscription.deleted', 'sub_old', 'canceled', T + 20))).toMatchObject({ outcome: 'applied', reason: 'churned' });
    expect(await lifecycle(id!)).toBe('churned');

    const created = sub('customer.subscription.created', 'sub_new', 'active', T + 10);
    expect(await recStripe(created)).toMatchObject({ outcome: 'applied', reason: 'first_payment', customerId: id });
    expect(await lifecycle(id!)).toBe('paid');
    const late = `created ${T + 10}, older than ${T + 20} already applied, yet the newest word on sub_new`;
    expect(await timelineOf(created.id)).toEqual([{ kind: 'transition', from_state: 'churned', to_state: 'paid', rule: 'first_payment', detail: expect.objectContaining({ late }) }]);
    expect(renderTrace(await traceCustomer(t.db, id!)).join('\n')).toContain(`state churned → paid (rule first_payment; late: ${late})`);
    // What was sent stays sent: the founder heard "churned", then "new paying customer".
    expect(await slackKinds(id!)).toEqual(['slack_new_paying', 'slack_churned', 'slack_new_paying']);

    // A redelivery is a duplicate; an event older than sub_new's recorded status is stale on its own subscription.
    expect((await recStripe(created)).duplicate).toBe(true);
    const older = sub('customer.subscription.updated', 'sub_new', 'trialing', T + 5);
    expect(await recStripe(older)).toMatchObject({ outcome: 'stale', reason: `stale: created ${T + 5} is older than ${T + 20} already applied` });
    expect(await lifecycle(id!)).toBe('paid');
    expect((await subscriptions()).map((s) => `${s.id} ${s.status}`)).toEqual(['sub_new active', 'sub_old canceled']);
  });

  it('a late past_due subscription reopens a churned customer as past_due; in order it would never have churned', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_a', 'active', T));
    expect(await recStripe(sub('customer.subscription.deleted', 'sub_a', 'canceled', T + 20))).toMatchObject({ reason: 'churned' });
    const bPastDue = sub('customer.subscription.updated', 'sub_b', 'past_due', T + 10);
    expect(await recStripe(bPastDue)).toMatchObject({ outcome: 'applied', reason: 'past_due_after_churn' });
    expect(await lifecycle(id!)).toBe('past_due');
    expect((await timelineOf(bPastDue.id))[0]).toMatchObject({ kind: 'transition', from_state: 'churned', to_state: 'past_due', detail: { late: expect.stringContaining('newest word on sub_b') } });
  });

  it('a late ending is never decided late: two subscriptions ending in reverse order leave the customer paid, the gap named', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_a', 'active', T));
    await recStripe(sub('customer.subscription.created', 'sub_b', 'active', T + 1));
    // sub_b ended first (T+20), sub_a last (T+30); sub_a's deletion arrives first and finds sub_b still live.
    expect(await recStripe(sub('customer.subscription.deleted', 'sub_a', 'canceled', T + 30))).toMatchObject({ reason: 'subscription_ended_others_live' });
    const bEnded = sub('customer.subscription.deleted', 'sub_b', 'canceled', T + 20);
    expect(await recStripe(bEnded)).toMatchObject({ outcome: 'stale' });
    // Rule `churned` is not marked late (table.ts): the customer stays paid, nothing is live, and reconcile's
    // "nothing live" finding is what tells the founder.
    expect(await lifecycle(id!)).toBe('paid');
    expect((await subscriptions()).map((s) => `${s.id} ${s.status}`)).toEqual(['sub_a canceled', 'sub_b canceled']);
    expect(await slackKinds(id!)).toEqual(['slack_new_paying']);
  });

  it("a subscription's invoice applied before its creation arrived does not keep the creation from being late", async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_old', 'active', T));
    // sub_new (created T+10) had its first invoice paid at T+12, delivered and applied before sub_new's own creation;
    // then sub_old ended (T+20) and, sub_new unknown as a subscription yet, the customer churned.
    expect(await recStripe(invoice('invoice.paid', 'in_first', T + 12, { amount_paid: 4900 }))).toMatchObject({ outcome: 'applied', reason: 'renewal' });
    expect(await recStripe(sub('customer.subscription.deleted', 'sub_old', 'canceled', T + 20))).toMatchObject({ reason: 'churned' });
    // In order, sub_new's creation would have kept the customer paid; late, it ends the churn.
    expect(await recStripe(sub('customer.subscription.created', 'sub_new', 'active', T + 10))).toMatchObject({ outcome: 'applied', reason: 'first_payment' });
    expect(await lifecycle(id!)).toBe('paid');
    // An older status of sub_new is old news on sub_new itself: stale.
    expect(await recStripe(sub('customer.subscription.updated', 'sub_new', 'trialing', T + 5))).toMatchObject({ outcome: 'stale' });
    expect(await lifecycle(id!)).toBe('paid');
  });

  it('a late event whose first matching rule is not marked late stays stale: a late active never clears a newer past_due', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_a', 'active', T));
    expect(await recStripe(sub('customer.subscription.updated', 'sub_a', 'past_due', T + 20))).toMatchObject({ reason: 'past_due' });
    const bActive = sub('customer.subscription.created', 'sub_b', 'active', T + 10);
    const r = await recStripe(bActive);
    expect(r).toMatchObject({ outcome: 'stale', reason: `stale: created ${T + 10} is older than ${T + 20} already applied` });
    expect(await lifecycle(id!)).toBe('past_due');
    expect((await timelineOf(bActive.id))[0]).toMatchObject({ kind: 'stale', from_state: 'past_due', to_state: 'past_due', rule: null });
    // Still news on sub_b: its status is recorded, so it counts as live when sub_a ends.
    expect((await subscriptions()).map((s) => `${s.id} ${s.status}`)).toEqual(['sub_a past_due', 'sub_b active']);
  });

  it("a merge moves the merged record's subscriptions to the survivor, where they keep it paid", async () => {
    // Two records: an app user (email) and a Stripe customer with two subscriptions, no email yet.
    const app = await record(t.db, fromApp({ id: 'app-1', type: 'user.signed_up', customer: { email: 'multi@example.com', user_id: 'u_multi' } }, new Date()), {}, deps);
    const { customerId: stripeSide } = await recStripe(sub('customer.subscription.created', 'sub_main', 'active', T));
    await recStripe(sub('customer.subscription.created', 'sub_addon', 'active', T + 1));
    expect(stripeSide).not.toBe(app.customerId);
    // A Stripe customer.subscription event with the customer expanded (its email) proves they are one person.
    await recStripe(sub('customer.subscription.updated', 'sub_main', 'active', T + 2, { customer: { id: 'cus_multi', object: 'customer', email: 'multi@example.com' } }));
    const survivor = app.customerId!;
    expect((await subscriptions()).map((s) => s.customer_id)).toEqual([survivor, survivor]);
    const r = await recStripe(sub('customer.subscription.deleted', 'sub_addon', 'canceled', T + 3));
    expect(r).toMatchObject({ customerId: survivor, reason: 'subscription_ended_others_live' });
    expect(await lifecycle(survivor)).toBe('paid');
  });

  it('migration 0016 fills the table from the Stripe subscription events an install recorded before it', async () => {
    const { customerId: id } = await recStripe(sub('customer.subscription.created', 'sub_main', 'active', T));
    await recStripe(sub('customer.subscription.created', 'sub_addon', 'trialing', T + 1));
    await recStripe(sub('customer.subscription.deleted', 'sub_addon', 'canceled', T + 5));
    const before = await subscriptions();
    // As an install that ran every migration but 0016: the table is gone, the events are in the inbox.
    await t.db.exec("DROP TABLE subscriptions; DELETE FROM schema_migrations WHERE version = 16");
    const applied = await migrate(t.db, listMigrations());
    expect(applied).toEqual([16]);
    expect(await subscriptions()).toEqual(before);
    expect(before.map((s) => `${s.id} ${s.status} ${s.customer_id === id}`)).toEqual(['sub_addon canceled true', 'sub_main active true']);
  });
});
