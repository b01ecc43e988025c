/**
 * The gateway's decision rules, as data plus one pure function. First matching rule wins. The README's
 * "Chatbot actions" table is this list.
 *
 * Invariants:
 * - Only allowlisted actions can ever run (`action_not_allowed` is checked first and is final).
 * - Steering text (injection.ts) and the per-customer rate limit come before any rule that executes, so
 *   neither a crafted message nor a looping bot can make an action run; they can only cause a review.
 * - `general` (small talk) never runs an action on its own, whatever the bot's confidence.
 * - A missing bot confidence counts as 0: it never clears the threshold.
 */
import type { Classification } from './classifier.js';
import { isAllowedAction, type Category, type ChatbotAction, type Priority } from './schema.js';

export interface RuleConfig {
  /** The bot's confidence an ordinary action needs (CHATBOT_CONFIDENCE_THRESHOLD, default 0.7). */
  confidenceThreshold: number;
  /** Executed actions per customer per trailing hour; beyond it, review (CHATBOT_ACTIONS_PER_HOUR, default 5). */
  actionsPerHour: number;
}

/** The classifier must be at least this sure of its category to back an ordinary action. */
export const MIN_CLASSIFIER_CONFIDENCE = 0.5;

/** The actions that open a support escalation (and may therefore take the urgent path). */
export const ESCALATIONS: ReadonlySet<ChatbotAction> = new Set<ChatbotAction>(['escalate_to_support', 'request_refund_review']);
/** What a refund review may be about. */
const REFUND_TOPICS: ReadonlySet<Category> = new Set<Category>(['refund', 'billing']);

export type Decision = 'executed' | 'needs_review' | 'rejected';
export type RuleName =
  | 'action_not_allowed'
  | 'prompt_injection'
  | 'rate_limited'
  | 'identity_conflict'
  | 'urgent_category'
  | 'small_talk'
  | 'not_supported'
  | 'low_confidence'
  | 'confident';

export interface DecisionInput {
  action: string;
  botConfidence?: number;
  classification: Classification;
  steering: { detected: boolean; kinds: string[] };
  /** Actions executed for this customer in the trailing hour (before this one). */
  recentActions: number;
  /** The request's email and user id belong to different customers. */
  identityConflict?: boolean;
}

export interface Verdict {
  decision: Decision;
  rule: RuleName;
  reason: string;
  priority: Priority;
}

/** The rule list, in order, for documentation (README) and tests. */
export const RULES: ReadonlyArray<{ rule: RuleName; decision: Decision; when: string }> = [
  { rule: 'action_not_allowed', decision: 'rejected', when: 'the action is not on the allowlist (HTTP 422)' },
  { rule: 'prompt_injection', decision: 'needs_review', when: 'the message tries to steer the bot (stripped before classification; never a signal)' },
  { rule: 'rate_limited', decision: 'needs_review', when: 'the customer already had CHATBOT_ACTIONS_PER_HOUR actions executed in the last hour' },
  { rule: 'identity_conflict', decision: 'needs_review', when: "the request's email and user id belong to two different customers (the bot never links or merges records)" },
  { rule: 'urgent_category', decision: 'executed', when: 'an escalation whose message is urgent (refund, billing dispute, security, legal, outage), at any bot confidence' },
  { rule: 'small_talk', decision: 'needs_review', when: 'the classifier says `general`' },
  { rule: 'not_supported', decision: 'needs_review', when: `the classifier is below ${MIN_CLASSIFIER_CONFIDENCE} for its category, or a refund review is not about refund/billing` },
  { rule: 'low_confidence', decision: 'needs_review', when: 'the bot\'s confidence is missing or below CHATBOT_CONFIDENCE_THRESHOLD' },
  { rule: 'confident', decision: 'executed', when: 'the bot is confident and the classifier agrees' },
];

/** Ticket priority: urgent for security, legal and outages; high for refunds and billing disputes. */
export function priorityFor(action: string, c: Pick<Classification, 'category' | 'dispute'>): Priority {
  if (c.category === 'security' || c.category === 'legal' || c.category === 'outage') return 'urgent';
  if (c.category === 'refund' || (c.category === 'billing' && c.dispute) || action === 'request_refund_review') return 'high';
  return 'normal';
}

export function decide(input: DecisionInput, cfg: RuleConfig): Verdict {
  const { action, classification: c } = input;
  const priority = priorityFor(action, c);
  const verdict = (decision: Decision, rule: RuleName, reason: string): Verdict => ({ decision, rule, reason, priority });
  const conf = input.botConfidence ?? 0;

  if (!isAllowedAction(action)) return verdict('rejected', 'action_not_allowed', `action "${action.slice(0, 100)}" is not allowed`);
  if (input.steering.detected) {
    return verdict('needs_review', 'prompt_injection', `the message tries to steer the bot (${input.steering.kinds.join(', ')}); a person decides`);
  }
  if (input.recentActions >= cfg.actionsPerHour) {
    return verdict('needs_review', 'rate_limited', `${input.recentActions} actions already ran for this customer in the last hour (limit ${cfg.actionsPerHour})`);
  }
  if (input.identityConflict) {
    return verdict('needs_review', 'identity_conflict', "the request's email and user id belong to two different customers; a person decides who this is");
  }
  if (ESCALATIONS.has(action) && c.urgent) {
    return verdict('executed', 'urgent_category', `urgent ${c.category === 'billing' ? 'billing dispute' : c.category}: escalated at ${priority} priority`);
  }
  if (c.category === 'general') return verdict('needs_review', 'small_talk', 'the message reads as small talk; it never triggers an action on its own');
  if (c.confidence < MIN_CLASSIFIER_CONFIDENCE) {
    return verdict('needs_review', 'not_supported', `the classifier is unsure (${c.category} at ${c.confidence})`);
  }
  if (action === 'request_refund_review' && !REFUND_TOPICS.has(c.category)) {
    return verdict('needs_review', 'not_supported', `a refund review, but the message is about ${c.category}`);
  }
  if (conf < cfg.confidenceThreshold) {
    return verdict('needs_review', 'low_confidence', `bot confidence ${input.botConfidence ?? 'missing'} is below ${cfg.confidenceThreshold}`);
  }
  return verdict('executed', 'confident', `bot confidence ${conf} and the classifier agrees (${c.category} at ${c.confidence})`);
}
