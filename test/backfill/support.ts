import { systemClock, systemIds } from '../../src/clock.js';
import { prepareBackfill, type BackfillDeps, type BackfillOptions } from '../../src/backfill/index.js';
import type { Database, Queryable } from '../../src/db/index.js';
import { stripeClient, type StripeClientOptions } from '../../src/stripe-api/index.js';
import { STRIPE_TEST_KEY, type StripeEmulator } from '../emulators/index.js';

/** Backfill deps against the emulator: real client (official package), fast rate-limit backoff. */
export function backfillDeps(db: Database, emu: StripeEmulator, extra: Partial<BackfillDeps> & { client?: StripeClientOptions; key?: string } = {}): BackfillDeps {
  return {
    db,
    stripe: stripeClient({ secretKey: extra.key ?? STRIPE_TEST_KEY, baseUrl: emu.url }, { rateLimitDelayMs: 5, ...extra.client }),
    record: { clock: systemClock, ids: systemIds, maxAttempts: 12 },
    hubspotEnabled: extra.hubspotEnabled ?? false,
    ...(extra.owner ? { owner: extra.owner } : {}),
  };
}

export async function backfill(deps: BackfillDeps, opts: BackfillOptions = {}) {
  const prepared = await prepareBackfill(deps, opts);
  const run = await prepared.execute();
  return { run, resumed: prepared.resumed };
}

/** Everything the backfill may change, in a stable order: what "identical state" compares. */
export async function stateOf(db: Queryable) {
  const q = async (text: string) => (await db.query(text)).rows;
  return {
    customers: await q(`SELECT c.email, c.name, c.lifecycle, c.support, c.merged_into IS NOT NULL AS merged,
                               (SELECT string_agg(i.kind || '=' || i.value, ',' ORDER BY i.kind, i.value) FROM identities i WHERE i.customer_id = c.id) AS ids
                        FROM customers c ORDER BY c.email NULLS LAST, c.id`),
    watermarks: await q('SELECT object_key, created, event_id FROM watermarks ORDER BY object_key'),
    inbox: await q('SELECT source, event_id, type, outcome FROM inbox_events ORDER BY event_id'),
    timeline: await q('SELECT count(*)::integer AS n FROM timeline'),
    jobs: await q('SELECT connector, kind, idempotency_key, status FROM jobs ORDER BY idempotency_key'),
  };
}

export async function lifecycleOf(db: Queryable, stripeCustomer: string): Promise<string | undefined> {
  const { rows } = await db.query<{ lifecycle: string }>(
    `SELECT c.lifecycle FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'stripe_customer' AND i.value = $1`,
    [stripeCustomer],
  );
  return rows[0]?.lifecycle;
}
