import type { Clock } from '../clock.js';
import { sql, type Database } from '../db/index.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../monitor/index.js';
import { getLiveCustomer, type RecordDeps } from '../pipeline/index.js';
import { execute } from './execute.js';
import { isAllowedAction, noteAndTag, type Category, type Priority } from './schema.js';

export const REVIEW_STATES = ['pending', 'approved', 'rejected', 'all'] as const;
export type ReviewFilter = (typeof REVIEW_STATES)[number];
export type Verdict = 'approved' | 'rejected';

export interface ReviewDeps {
  db: Database;
  clock: Clock;
  record: RecordDeps;
}

interface LockedDecision {
  id: string;
  conversation_id: string;
  customer_id: string | null;
  email: string | null;
  user_id: string | null;
  action: string;
  message: string;
  metadata: Record<string, unknown>;
  category: Category;
  priority: Priority;
  decision: string;
  rule: string;
  review: 'pending' | 'approved' | 'rejected' | null;
  job_id: number | null;
  created_at: Date;
}

export type ReviewReply =
  | { status: 200; body: { id: string; review: Verdict; job_id?: string; already?: true } }
  | { status: 409; body: { error: 'conflict'; message: string } };

/** The queue, most urgent first, then oldest first. The message is shown: the founder decides on it. */
export async function listReview(db: Database, filter: ReviewFilter, limit: number) {
  const { rows } = await db.query<Record<string, unknown>>(sql.listChatbotReview, [filter, limit]);
  return rows.map((r) => ({
    id: r.id,
    created_at: r.created_at,
    conversation_id: r.conversation_id,
    customer: { id: r.customer_id ?? null, email: r.email ?? null, user_id: r.user_id ?? null },
    action: r.action,
    message: r.message,
    bot_confidence: r.bot_confidence ?? null,
    metadata: r.metadata,
    category: r.category,
    priority: r.priority,
    classification: r.classification,
    rule: r.rule,
    reason: r.reason,
    review: r.review,
    reviewed_at: r.reviewed_at ?? null,
    job_id: r.job_id == null ? null : String(r.job_id),
  }));
}

/**
 * The founder's verdict on one `needs_review` decision, in ONE transaction with the decision row locked:
 *   approved → the STORED action runs now through the pipeline (its effect event's id is the decision id,
 *              so it can run once), bypassing thresholds and the rate limit: a person decided;
 *   rejected → dropped; nothing runs.
 * Repeating the same verdict answers 200 `already` and changes nothing; the opposite verdict, or a verdict
 * on a decision that never needed review, is 409. Unknown id → 404. Both verdicts reach the timeline.
 */
export async function review(deps: ReviewDeps, id: string, verdict: Verdict, log: Logger): Promise<ReviewReply> {
  const reply = await deps.db.transaction(async (tx): Promise<ReviewReply> => {
    const row = (await tx.query<LockedDecision>(sql.lockChatbotDecision, [id])).rows[0];
    if (!row) throw new NotFoundError(`no chatbot decision ${JSON.stringify(id.slice(0, 100))}`);
    if (row.decision !== 'needs_review' || row.review === null) {
      return { status: 409, body: { error: 'conflict', message: `decision ${row.id} was ${row.decision}; only needs_review decisions are reviewed` } };
    }
    if (row.review === verdict) {
      return { status: 200, body: { id: row.id, review: verdict, already: true, ...(row.job_id != null ? { job_id: String(row.job_id) } : {}) } };
    }
    if (row.review !== 'pending') return { status: 409, body: { error: 'conflict', message: `decision ${row.id} was already ${row.review}` } };

    const now = deps.clock.now();
    let customerId: string | undefined;
    let inboxId: number | undefined;
    let jobId: number | undefined;
    if (verdict === 'approved') {
      // Only allowlisted actions are ever stored as needs_review (rules.ts checks the allowlist first).
      if (!isAllowedAction(row.action)) throw new Error(`chatbot decision ${row.id}: action ${row.action} is not allowed`);
      ({ customerId, inboxId, jobId } = await execute(
        tx,
        {
          decisionId: row.id,
          conversationId: row.conversation_id,
          action: row.action,
          message: row.message,
          ...noteAndTag(row.metadata ?? {}),
          category: row.category,
          priority: row.priority,
          email: row.email ?? undefined,
          userId: row.user_id ?? undefined,
          occurredAt: row.created_at,
        },
        deps.record,
        'review_approved',
      ));
    } else if (row.customer_id) {
      customerId = (await getLiveCustomer(tx, row.customer_id))?.id;
    }
    const detail = { decision_id: row.id, conversation_id: row.conversation_id, action: row.action, review: verdict, category: row.category, priority: row.priority, rule: row.rule };
    await tx.query(sql.reviewChatbotDecision, [row.id, verdict, now, customerId ?? null, inboxId ?? null, jobId ?? null, JSON.stringify(detail)]);
    return { status: 200, body: { id: row.id, review: verdict, ...(jobId !== undefined ? { job_id: String(jobId) } : {}) } };
  });
  log.info({ decisionId: id.slice(0, 100), verdict, status: reply.status, jobId: reply.status === 200 ? reply.body.job_id : undefined }, 'chatbot review');
  return reply;
}
