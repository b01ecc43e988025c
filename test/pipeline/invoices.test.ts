// Each Stripe invoice's payment standing (the invoices table, migration 0019), which the payment_not_recovered alert
// reads: a failure stays open until the invoice is paid, voided or written off, or the customer pays at or after it,
// in whichever order Stripe delivers those events; and installs that recorded invoice events before the table
// existed get the same standing from their inbox.
import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { listMigrations, migrate, sql } from '../../src/db/index.js';
import { fromStripe } from '../../src/events/index.js';
import { record, type RecordDeps } from '../../src/pipeline/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED as T, loadFixtureEvent, stripeEvent, type StripeEventJson } from '../support/stripe-fixtures.js';

const deps: RecordDeps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['slack']), maxAttempts: 5 };

/** An invoice event from Stripe's sample invoice object, for invoice `id` of Stripe customer `cus`. */
const invoice = (type: string, id: string, cus: string, created: number, amountDue = 4900) =>
  stripeEvent(type, 'invoice', { id, customer: cus, customer_email: `${cus}@example.com`, amount_due: amountDue, amount_paid: type === 'invoice.payment_failed' ? 0 : amountDue, currency: 'eur', subscription: null, parent: null }, { created });

describe.each(DB_KINDS)('invoice payment standing on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  const rec = (evt: StripeEventJson) => record(t.db, fromStripe(evt), evt, deps);
  /** What the alert would report now, whatever the recovery window (-1 min: every failure already counts as late). */
  const unrecovered = async () =>
    (await t.db.query<{ invoice: string; email: string | null; amount_due: unknown; currency: string | null }>(sql.alertPaymentsNotRecovered, [-60_000])).rows.map(
      (r) => `${r.invoice} ${r.email} ${String(r.amount_due)} ${r.currency}`,
    );
  const open = async () => (await t.db.query<{ id: string }>('SELECT id FROM invoices WHERE settled_at IS NULL AND failed_at IS NOT NULL ORDER BY id')).rows.map((r) => r.id);

  it('a failure is reported with what the latest attempt asked for, until the invoice is paid', async () => {
    await rec(invoice('invoice.payment_failed', 'in_a', 'cus_a', T, 4900));
    await rec(invoice('invoice.payment_failed', 'in_a', 'cus_a', T + 86_400, 5100));
    expect(await unrecovered()).toEqual(['in_a cus_a@example.com 5100 eur']);
    await rec(invoice('invoice.paid', 'in_a', 'cus_a', T + 90_000, 5100));
    expect(await unrecovered()).toEqual([]);
    expect(await open()).toEqual([]);
  });

  it('a payment Stripe delivers before the failure it settles: nothing is reported', async () => {
    await rec(invoice('invoice.paid', 'in_b', 'cus_b', T + 60));
    await rec(invoice('invoice.payment_failed', 'in_b', 'cus_b', T));
    expect(await open()).toEqual([]);
    // The customer paid a newer invoice before an older invoice's failure arrived: that failure is settled too.
    await rec(invoice('invoice.paid', 'in_c2', 'cus_c', T + 3600));
    await rec(invoice('invoice.payment_failed', 'in_c1', 'cus_c', T));
    expect(await open()).toEqual([]);
    expect(await unrecovered()).toEqual([]);
  });

  it("a later payment on another invoice settles the customer's earlier failures; an older one does not", async () => {
    await rec(invoice('invoice.payment_failed', 'in_d1', 'cus_d', T + 100));
    await rec(invoice('invoice.payment_succeeded', 'in_d0', 'cus_d', T + 50)); // created before the failure
    expect(await open()).toEqual(['in_d1']);
    await rec(invoice('invoice.paid', 'in_d2', 'cus_d', T + 200));
    expect(await open()).toEqual([]);
    // Another customer's payment settles nothing of this one's.
    await rec(invoice('invoice.payment_failed', 'in_e1', 'cus_e', T + 100));
    await rec(invoice('invoice.paid', 'in_f1', 'cus_f', T + 200));
    expect(await open()).toEqual(['in_e1']);
    expect(await unrecovered()).toEqual(['in_e1 cus_e@example.com 4900 eur']);
  });

  it('a voided or written-off invoice is settled; a real invoice.paid delivery settles its invoice', async () => {
    await rec(invoice('invoice.payment_failed', 'in_g', 'cus_g', T));
    await rec(invoice('invoice.voided', 'in_g', 'cus_g', T + 10));
    await rec(invoice('invoice.payment_failed', 'in_h', 'cus_h', T));
    await rec(invoice('invoice.marked_uncollectible', 'in_h', 'cus_h', T + 10));
    expect(await open()).toEqual([]);

    const paid = loadFixtureEvent('invoice_paid');
    const obj = paid.data.object as { id: string; customer: string };
    await rec(invoice('invoice.payment_failed', obj.id, obj.customer, paid.created - 3600));
    expect(await open()).toEqual([obj.id]);
    await rec(paid);
    expect(await open()).toEqual([]);
  });

  it('migration 0019 gives an install the standing its recorded invoice events say', async () => {
    await rec(invoice('invoice.payment_failed', 'in_m1', 'cus_m', T, 4900));
    await rec(invoice('invoice.payment_failed', 'in_m1', 'cus_m', T + 10, 5000));
    await rec(invoice('invoice.payment_failed', 'in_m2', 'cus_n', T));
    await rec(invoice('invoice.paid', 'in_m3', 'cus_n', T + 20)); // settles in_m2
    await rec(invoice('invoice.paid', 'in_m4', 'cus_o', T + 20));
    await rec(invoice('invoice.payment_failed', 'in_m5', 'cus_o', T)); // after a newer payment: settled
    await rec(invoice('invoice.payment_failed', 'in_m6', 'cus_p', T));
    await rec(invoice('invoice.voided', 'in_m6', 'cus_p', T + 5));
    await rec(invoice('invoice.created', 'in_m7', 'cus_p', T + 5)); // says nothing of a payment
    const standing = () =>
      t.db
        .query(
          `SELECT i.id, i.stripe_customer, e.event_id AS failed_event, i.failed_at, i.failed_created::text, i.amount_due, i.currency, i.paid_created::text, i.settled_at IS NOT NULL AS settled
           FROM invoices i LEFT JOIN inbox_events e ON e.id = i.failed_inbox_id ORDER BY i.id`,
        )
        .then((r) => r.rows);
    const before = await standing();
    expect(before.map((r) => `${r.id} ${r.settled ? 'settled' : 'open'}`)).toEqual([
      'in_m1 open',
      'in_m2 settled',
      'in_m3 settled',
      'in_m4 settled',
      'in_m5 settled',
      'in_m6 settled',
    ]);
    expect(await unrecovered()).toEqual(['in_m1 cus_m@example.com 5000 eur']);

    // As an install that ran every migration but 0019: the table is gone, the events are in the inbox.
    await t.db.exec('DROP TABLE invoices; DELETE FROM schema_migrations WHERE version = 19');
    expect(await migrate(t.db, listMigrations())).toEqual([19]);
    expect(await standing()).toEqual(before);
    expect(await unrecovered()).toEqual(['in_m1 cus_m@example.com 5000 eur']);
  });
});
