import type { Queryable, Tx } from '../db/index.js';
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
export async function execute(tx: Tx, input: EffectInput, deps: RecordDeps, rule: string): Promise<Executed> {
  const known = await knownIdentities(tx, input);
  const event = effectEvent({ ...input, ...ownIdentities(input, known) });
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

export interface KnownIdentity {
  kind: string;
  value: string;
  customer_id: string;
}

/** The request's identities that already belong to a customer, oldest live owner first. */
export async function knownIdentities(tx: Queryable, input: Pick<EffectInput, 'email' | 'userId'>): Promise<KnownIdentity[]> {
  const pairs: Array<[string, string]> = [];
  if (input.email) pairs.push(['email', input.email]);
  if (input.userId) pairs.push(['app_user', input.userId]);
  if (pairs.length === 0) return [];
  return (await tx.query<KnownIdentity>(sql.resolveChatbotIdentities, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])).rows;
}

/** How many different live customers the request's identities name (more than one: an identity conflict). */
export const ownersOf = (known: readonly KnownIdentity[]): number => new Set(known.map((k) => k.customer_id)).size;

/**
 * The bot names the customer but never decides who is who: its words must not link or merge records (an
 * email typed into a chat next to another user's id would otherwise fuse two customers). When any of the
 * request's identities is known, the event carries only the identities the (oldest) owner already has;
 * an unknown request creates one customer from what it names.
 */
export function ownIdentities(input: Pick<EffectInput, 'email' | 'userId'>, known: readonly KnownIdentity[]): Pick<EffectInput, 'email' | 'userId'> {
  if (known.length === 0) return { email: input.email, userId: input.userId };
  const owner = known[0]!.customer_id;
  const has = (kind: string, value: string | undefined) => value !== undefined && known.some((k) => k.kind === kind && k.value === value && k.customer_id === owner);
  return { email: has('email', input.email) ? input.email : undefined, userId: has('app_user', input.userId) ? input.userId : undefined };
}
