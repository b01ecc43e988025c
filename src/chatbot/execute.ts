import type { Queryable } from '../db/index.js';
import { sql } from '../db/index.js';
import { jobsFor, type EffectName } from '../lifecycle/index.js';
import { recordIn, type RecordDeps } from '../pipeline/index.js';
import { effectEvent, type EffectInput } from './effects.js';
import type { ChatbotAction } from './schema.js';

/** The outbox job an action answers with as `job_id` (tag_customer queues none). */
const MAIN_EFFECT: Readonly<Record<ChatbotAction, EffectName | undefined>> = {
  escalate_to_support: 'zendesk_ticket',
  request_refund_review: 'zendesk_ticket',
  update_contact_note: 'crm_note',
  tag_customer: undefined,
};

export interface Executed {
  /** The live customer the effect landed on (created by it if the request named nobody known). */
  customerId?: string;
  inboxId?: number;
  jobId?: number;
}

/**
 * Runs an action's effect INSIDE the caller's transaction: its domain event goes through recordIn (inbox,
 * state table, timeline, outbox), exactly like any sender's event. Never calls a provider. The inbox payload
 * names the decision; the user's words travel only in the event's facts (ticket body, note).
 */
export async function execute(tx: Queryable, input: EffectInput, deps: RecordDeps, rule: string): Promise<Executed> {
  const event = effectEvent(input);
  const payload = { decision_id: input.decisionId, conversation_id: input.conversationId, action: input.action, category: input.category, rule };
  const r = await recordIn(tx, event, payload, deps);
  const main = MAIN_EFFECT[input.action];
  let jobId: number | undefined;
  if (main) {
    const key = jobsFor([main], event)[0]!.idempotencyKey;
    jobId = (await tx.query<{ id: number }>(sql.findJobByKey, [key])).rows[0]?.id;
  }
  return { customerId: r.customerId, inboxId: r.inboxId, jobId };
}
