import { sql, type Queryable } from '../db/index.js';
import type { BackfillKind, CrmCounts, CursorState } from './types.js';

const PAGE = 200;

/**
 * `--sync-crm`: one HubSpot upsert job (`crm_sync`'s job: hubspot upsert_contact, which pushes the
 * customer's state as it is when the job RUNS) per live customer known to Stripe, through the outbox, so
 * the dispatcher delivers them at HubSpot's pace with its retries. Customers without an email are
 * counted and left out (HubSpot matches contacts by email).
 *
 * Idempotency key: `crm_sync:backfill:<customer id>:<lifecycle>/<support>@<updated_at ms>` — the
 * customer's state as this run leaves it. Running again with nothing changed queues nothing; a customer
 * whose state changed since (a webhook, this backfill) gets one new push.
 */
export async function syncCrm(
  db: Queryable,
  opts: { maxAttempts: number },
  from: CursorState | undefined,
  counts: CrmCounts,
  checkpoint: (kind: BackfillKind, cursor: CursorState) => Promise<void>,
): Promise<void> {
  let cursor: CursorState = from ?? { startingAfter: null, done: false, seen: 0 };
  if (cursor.done) return;
  for (;;) {
    const { rows } = await db.query<{ id: string; email: string | null; lifecycle: string; support: string; updated_at: Date | string }>(sql.listBackfillCrmCustomers, [
      cursor.startingAfter ?? '',
      PAGE,
    ]);
    if (rows.length === 0) break;
    const withEmail = rows.filter((r) => r.email);
    const keys = withEmail.map((r) => `crm_sync:backfill:${r.id}:${r.lifecycle}/${r.support}@${new Date(r.updated_at).getTime()}`);
    const { rows: q } = await db.query<{ queued: number }>(sql.queueBackfillCrmSync, [withEmail.map((r) => r.id), keys, opts.maxAttempts]);
    const queued = q[0]?.queued ?? 0;
    counts.customers += rows.length;
    counts.queued += queued;
    counts.alreadyQueued += withEmail.length - queued;
    counts.noEmail += rows.length - withEmail.length;
    cursor = { startingAfter: rows[rows.length - 1]!.id, done: false, seen: cursor.seen + rows.length };
    await checkpoint('crm', cursor);
  }
  await checkpoint('crm', { ...cursor, done: true });
}
