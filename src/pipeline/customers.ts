import type { LifecycleState } from '../config/index.js';
import { sql, type Queryable } from '../db/index.js';
import type { Identities, IdentityKind } from '../events/types.js';
import { mergeLifecycle, type Support } from '../lifecycle/index.js';

export interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  lifecycle: LifecycleState;
  support: Support;
  merged_into: string | null;
  created_at: Date;
}

export function identityPairs(identities: Identities): Array<[IdentityKind, string]> {
  return (Object.entries(identities) as Array<[IdentityKind, string | undefined]>).filter(
    (p): p is [IdentityKind, string] => typeof p[1] === 'string' && p[1] !== '',
  );
}

export async function getCustomer(tx: Queryable, id: string): Promise<CustomerRow | undefined> {
  return (await tx.query<CustomerRow>(sql.getCustomer, [id])).rows[0];
}

/** Follows merged_into to the live record (merges can chain). */
export async function getLiveCustomer(tx: Queryable, id: string): Promise<CustomerRow | undefined> {
  let c = await getCustomer(tx, id);
  for (let hops = 0; c?.merged_into && hops < 16; hops++) c = await getCustomer(tx, c.merged_into);
  return c;
}

/**
 * Merges `others` into `survivor` (the oldest record): identities, timeline, jobs, inbox rows, chatbot
 * decisions and Stripe subscriptions move; the survivor keeps the most committed lifecycle and any open support need. The merged records stay
 * as tombstones pointing at the survivor, so old ids still resolve. Returns the survivor as it must
 * become; the caller writes it.
 */
export async function mergeCustomers(
  tx: Queryable,
  survivor: CustomerRow,
  others: CustomerRow[],
  at: Date,
): Promise<CustomerRow> {
  let merged = { ...survivor };
  for (const o of others) {
    for (const stmt of [sql.moveIdentities, sql.moveTimeline, sql.moveJobs, sql.moveInboxEvents, sql.moveChatbotDecisions, sql.moveSubscriptions]) {
      await tx.query(stmt, [o.id, survivor.id]);
    }
    await tx.query(sql.markMerged, [o.id, survivor.id, at]);
    merged = {
      ...merged,
      email: merged.email ?? o.email,
      name: merged.name ?? o.name,
      lifecycle: mergeLifecycle(merged.lifecycle, o.lifecycle),
      support: merged.support === 'needs_support' || o.support === 'needs_support' ? 'needs_support' : 'none',
    };
  }
  // The survivor's row is written once, by the event's apply statement, from the returned values.
  return merged;
}
