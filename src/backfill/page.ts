import { sql, type Queryable } from '../db/index.js';
import type { RecordResult } from '../pipeline/index.js';
import type { Synthesis } from './synthetic.js';

export interface PageResult {
  seen: number;
  applied: number;
  stale: number;
  ignored: number;
  duplicate: number;
  skipped: number;
  /** Handoff customer ids that did not exist for these Stripe customers before the page. */
  created: string[];
  /** Handoff customer ids whose lifecycle or support differs after the page. */
  changed: string[];
}

type Made = Exclude<Synthesis, { skipped: string }>;

/**
 * Records a page's synthetic events, `concurrency` at a time (record() serialises events touching the same
 * customer or object with advisory locks, so parallel events of one customer stay correct), and compares
 * the Stripe customers' Handoff state before and after. A failed record() fails the page: its cursor is not
 * saved, and the page is read again on resume (what was recorded comes back as duplicates).
 */
export async function pageOutcomes(db: Queryable, made: readonly Synthesis[], concurrency: number, recordOne: (m: Made) => Promise<RecordResult>): Promise<PageResult> {
  const out: PageResult = { seen: made.length, applied: 0, stale: 0, ignored: 0, duplicate: 0, skipped: 0, created: [], changed: [] };
  const stripeIds = [...new Set(made.flatMap((m) => ('domain' in m && m.domain.identities.stripe_customer ? [m.domain.identities.stripe_customer] : [])))];
  const before = await states(db, stripeIds);

  const todo = made.filter((m): m is Made => 'domain' in m);
  out.skipped = made.length - todo.length;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const r = await recordOne(todo[next++]!);
      if (r.duplicate) out.duplicate++;
      else if (r.outcome) out[r.outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, worker));

  const after = await states(db, stripeIds);
  const known = new Map<string, string>();
  for (const [, s] of before) known.set(s.id, s.state);
  for (const [, s] of after) {
    const was = known.get(s.id);
    if (was === undefined) out.created.push(s.id);
    else if (was !== s.state) out.changed.push(s.id);
    known.set(s.id, s.state); // one Handoff customer behind several Stripe customers counts once
  }
  return out;
}

async function states(db: Queryable, stripeIds: string[]): Promise<Map<string, { id: string; state: string }>> {
  if (stripeIds.length === 0) return new Map();
  const { rows } = await db.query<{ stripe_customer: string; id: string; lifecycle: string; support: string }>(sql.listBackfillCustomerStates, [stripeIds]);
  return new Map(rows.map((r) => [r.stripe_customer, { id: r.id, state: `${r.lifecycle}/${r.support}` }]));
}
