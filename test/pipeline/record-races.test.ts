/**
 * Two events for ONE customer that name it by DIFFERENT identities, so the advisory identity locks do
 * not serialise them. Serial semantics (either order) give one answer; the tests assert it.
 *
 * On PostgreSQL the worst interleaving is forced, not hoped for: a third connection holds the
 * customer's row lock while the first record() transaction starts and blocks, then the second; only
 * then is the lock released, so both have resolved the customer before either writes.
 * PGlite has one connection and runs transactions one at a time; there the two run concurrently
 * through Promise.all (serialised by the engine) and must give the same answer.
 *
 * Regression: at commit 932ada3 record() read the customer without locking its row, so on PostgreSQL
 * both tests failed (a lost update leaving the customer `trial` after it paid; and a trial written to
 * a merged tombstone). Row locks on the owners, with a re-resolve after a merge (now inside
 * handoff_lock_event, migrations 0010 and 0012), make them pass.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { fromApp, fromStripe } from '../../src/events/index.js';
import { record, type RecordDeps, type RecordResult } from '../../src/pipeline/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { DEFAULT_CREATED as T, stripeEvent, type StripeEventJson } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';

const deps: RecordDeps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot', 'slack']), maxAttempts: 5 };

describe.each(DB_KINDS)('record() racing on one customer via different identities on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  const app = (body: Record<string, unknown>) => record(t.db, fromApp(body, new Date()), body, deps);
  const stripe = (evt: StripeEventJson) => record(t.db, fromStripe(evt), evt, deps);
  const lifecycle = async (id: string) => (await t.db.query<{ lifecycle: string }>('SELECT lifecycle FROM customers WHERE id = $1', [id])).rows[0]!.lifecycle;
  /**
   * Backends of this database waiting on a heavyweight lock (row / transaction locks). Asked through the
   * pool, not the holder: pg_stat_activity is a snapshot that stays fixed inside the holder's transaction.
   */
  const waiting = async () =>
    Number(
      (await t.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        .rows[0]!.n,
    );

  /**
   * PostgreSQL: holds customer `id`'s row lock while `first` starts and blocks behind it, then `second`;
   * then releases. Always releases and settles both before returning. PGlite: both at once.
   */
  async function interleave(id: string, first: () => Promise<RecordResult>, second: () => Promise<RecordResult>): Promise<[RecordResult, RecordResult]> {
    if (kind === 'pglite') return Promise.all([first(), second()]);
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    const started: Array<Promise<RecordResult>> = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [id]);
      started.push(first());
      await waitUntil(async () => (await waiting()) >= 1, 10_000, 'the first transaction to block');
      started.push(second());
      await waitUntil(async () => (await waiting()) >= 2, 10_000, 'the second transaction to block');
    } finally {
      await holder.query('COMMIT').catch(() => undefined);
      await Promise.allSettled(started);
      await holder.end();
    }
    return (await Promise.all(started)) as [RecordResult, RecordResult];
  }

  it('a payment (by Stripe customer) and a trial start (by email) for one customer: no lost update', async () => {
    const A = (await app({ id: 'a1', type: 'user.signed_up', customer: { email: 'a@x.com' } })).customerId!;
    const link = stripeEvent('checkout.session.completed', 'checkout.session', { customer: 'cus_1', customer_details: { email: 'a@x.com' }, payment_status: 'unpaid' });
    expect((await stripe(link)).customerId).toBe(A);

    const [rp, rt] = await interleave(
      A,
      () => stripe(stripeEvent('customer.subscription.updated', 'subscription', { id: 'sub_1', customer: 'cus_1', status: 'active' }, { created: T })),
      () => app({ id: 'a2', type: 'trial.started', customer: { email: 'a@x.com' } }),
    );
    expect(rp).toMatchObject({ customerId: A, outcome: 'applied', reason: 'first_payment' });
    expect(rt.customerId).toBe(A);

    const tl = (
      await t.db.query<{ kind: string; from_state: string; to_state: string }>(
        "SELECT kind, from_state, to_state FROM timeline WHERE customer_id = $1 AND kind IN ('transition', 'event', 'ignored') ORDER BY id",
        [A],
      )
    ).rows;
    // Every recorded step starts where the previous one ended (no two decisions from the same old state).
    for (let i = 1; i < tl.length; i++) expect(tl[i]!.from_state, JSON.stringify(tl)).toBe(tl[i - 1]!.to_state);
    // Serially: lead → trial → paid, or paid and then a trial start that no rule applies to. Paid either way.
    expect(await lifecycle(A)).toBe('paid');
  });

  it('an event naming the merged customer by an identity the merge does not name lands on the survivor', async () => {
    const a = (await app({ id: 'a1', type: 'user.signed_up', customer: { email: 'a@x.com' } })).customerId!;
    await stripe(stripeEvent('checkout.session.completed', 'checkout.session', { customer: 'cus_1', customer_details: { email: 'a@x.com' }, payment_status: 'unpaid' }));
    const b = (await app({ id: 'b1', type: 'user.signed_up', customer: { email: 'b@x.com', user_id: 'u2' } })).customerId!;

    const [, rt] = await interleave(
      b,
      // Merges B into A (names cus_1 and b@x.com); blocks on B's row.
      () => stripe(stripeEvent('checkout.session.completed', 'checkout.session', { customer: 'cus_1', customer_details: { email: 'b@x.com' }, payment_status: 'unpaid' })),
      // Names B only by u2, a lock the merge does not hold.
      () => app({ id: 'b2', type: 'trial.started', customer: { user_id: 'u2' } }),
    );
    expect(rt).toMatchObject({ customerId: a, outcome: 'applied', reason: 'trial_started' });

    const rows = async (q: string, id: string) => (await t.db.query(q, [id])).rows;
    expect((await t.db.query<{ merged_into: string }>('SELECT merged_into FROM customers WHERE id = $1', [b])).rows[0]!.merged_into).toBe(a);
    // Nothing hangs off the tombstone.
    expect(await rows('SELECT id FROM jobs WHERE customer_id = $1', b)).toEqual([]);
    expect(await rows('SELECT id FROM timeline WHERE customer_id = $1', b)).toEqual([]);
    expect(await rows('SELECT kind, value FROM identities WHERE customer_id = $1', b)).toEqual([]);
    expect(await lifecycle(a)).toBe('trial');
  });
});
