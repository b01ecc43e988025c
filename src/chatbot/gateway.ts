import type { Clock, Ids } from '../clock.js';
import { sql, type Database, type Queryable } from '../db/index.js';
import { assertStorable, type FieldError } from '../events/index.js';
import { HandoffError } from '../errors.js';
import type { Logger, Metrics } from '../monitor/index.js';
import type { RecordDeps } from '../pipeline/index.js';
import type { Classification, Classifier } from './classifier.js';
import { classifyBuiltin } from './classifier.js';
import { execute, knownIdentities, ownersOf } from './execute.js';
import { detectSteering } from './injection.js';
import { decide, type RuleConfig, type Verdict } from './rules.js';
import { isAllowedAction, parseActionRequest, type ActionRequest } from './schema.js';

export interface GatewayDeps {
  db: Database;
  clock: Clock;
  ids: Ids;
  record: RecordDeps;
  rules: RuleConfig;
  classifier: Classifier;
  metrics: Metrics;
}

export interface ActionReply {
  status: 200 | 422;
  body: {
    decision: Verdict['decision'];
    reason: string;
    category: string;
    decision_id?: string;
    job_id?: string;
    error?: 'unprocessable';
    details?: FieldError[];
  };
}

const WINDOW_MS = 3_600_000;

/**
 * The one way the chatbot acts. For every request:
 *   1. validate the body (unreadable → 422 `rejected`, nothing stored);
 *   2. remove steering text, then classify the rest (the LLM when configured, outside any transaction;
 *      an action off the allowlist is classified by the built-in classifier only, for the record);
 *   3. in ONE transaction: lock the customer's identities, count their recent executed actions, decide
 *      (rules.ts), run the effect through the pipeline when executed, and store the decision with its
 *      inputs, classifier output, rule and outcome (+ a timeline row when a customer is known).
 * The message text is stored, never logged: log lines carry ids, the action, the verdict and the category.
 */
export function createGateway(deps: GatewayDeps) {
  /** An unreadable request: 422 `rejected`, counted, nothing stored; the log names the fields, not their values. */
  function refuse(details: FieldError[], log: Logger): ActionReply {
    deps.metrics.chatbotDecisions.inc({ decision: 'rejected', category: 'none' });
    log.warn({ rule: 'invalid_request', fields: details.map((d) => d.path) }, 'chatbot action refused: invalid request');
    return { status: 422, body: { decision: 'rejected', reason: 'invalid request: see details', category: 'none', error: 'unprocessable', details } };
  }

  return {
    refuse,
    /**
     * `idempotentId`, when given, comes from the request's Idempotency-Key (see routes/chatbot.ts): a retried
     * request answers with the decision already stored under it and runs nothing again.
     */
    async submit(body: unknown, log: Logger, idempotentId?: string): Promise<ActionReply> {
      const stored = idempotentId === undefined ? undefined : await answerOf(deps.db, idempotentId);
      if (stored) return stored;
      const decisionId = idempotentId ?? deps.ids.uuid();
      const parsed = parseActionRequest(body);
      if (!parsed.ok) return refuse(parsed.details, log);
      const unstorable = storableProblem(body);
      if (unstorable) return refuse(unstorable, log);
      const req = parsed.request;
      const steering = detectSteering(req.message);
      const classification = isAllowedAction(req.action) ? await deps.classifier.classify(steering.cleaned) : classifyBuiltin(steering.cleaned);
      const now = deps.clock.now();

      const outcome = await deps.db.transaction(async (tx) => {
        const pairs = identityPairs(req);
        const readStanding = async () =>
          (
            await tx.query<{ customer_id: string | null; recent: number }>(sql.chatbotStanding, [
              pairs.map((p) => p[0]),
              pairs.map((p) => p[1]),
              new Date(now.getTime() - WINDOW_MS),
            ])
          ).rows[0];
        // Lock the request's identities AND the customer they name, in one sorted statement: requests naming
        // one customer by different identities (email here, user id there) meet on the customer's key, and
        // a single ordered acquisition cannot deadlock. Then count again, under the locks.
        const named = (await readStanding())?.customer_id;
        await tx.query(sql.lockChatbotKeys, [[...pairs.map(([k, v]) => `id:${k}:${v}`), ...(named ? [`customer:${named}`] : [])]]);
        const standing = await readStanding();
        // A concurrent retry of the same request (same Idempotency-Key) waited on the same locks: answer with its decision.
        const already = idempotentId === undefined ? undefined : await answerOf(tx, idempotentId);
        if (already) return { already };
        const identityConflict = ownersOf(await knownIdentities(tx, req)) > 1;
        const verdict = decide(
          { action: req.action, botConfidence: req.botConfidence, classification, steering, recentActions: standing?.recent ?? 0, identityConflict },
          deps.rules,
        );
        let customerId = standing?.customer_id ?? undefined;
        let inboxId: number | undefined;
        let jobId: number | undefined;
        if (verdict.decision === 'executed' && isAllowedAction(req.action)) {
          const done = await execute(
            tx,
            {
              decisionId,
              conversationId: req.conversationId,
              action: req.action,
              message: req.message,
              note: req.note,
              tag: req.tag,
              category: classification.category,
              priority: verdict.priority,
              email: req.email,
              userId: req.userId,
              occurredAt: now,
            },
            deps.record,
            verdict.rule,
          );
          customerId = done.customerId ?? customerId;
          ({ inboxId, jobId } = done);
        }
        await tx.query(sql.insertChatbotDecision, [
          decisionId,
          req.conversationId,
          customerId ?? null,
          req.email ?? null,
          req.userId ?? null,
          req.action,
          req.message,
          req.botConfidence ?? null,
          JSON.stringify(req.metadata),
          JSON.stringify({ ...classification, steering: steering.kinds }),
          classification.category,
          verdict.priority,
          verdict.decision,
          verdict.rule,
          verdict.reason,
          verdict.decision === 'needs_review' ? 'pending' : null,
          inboxId ?? null,
          jobId ?? null,
          now,
          JSON.stringify(timelineDetail(decisionId, req, verdict, classification, steering.kinds)),
        ]);
        return { verdict, customerId, jobId };
      });
      if ('already' in outcome && outcome.already) return outcome.already;

      const { verdict, customerId, jobId } = outcome;
      deps.metrics.chatbotDecisions.inc({ decision: verdict.decision, category: classification.category });
      log.info(
        {
          decisionId,
          conversationId: req.conversationId,
          action: req.action.slice(0, 100),
          decision: verdict.decision,
          rule: verdict.rule,
          category: classification.category,
          classifier: classification.classifier,
          ...(classification.fallback ? { classifierFallback: classification.fallback } : {}),
          customerId,
          jobId,
        },
        'chatbot action decided',
      );
      const reply: ActionReply['body'] = { decision: verdict.decision, reason: verdict.reason, category: classification.category, decision_id: decisionId };
      if (jobId !== undefined) reply.job_id = String(jobId);
      if (verdict.decision === 'rejected') return { status: 422, body: { ...reply, error: 'unprocessable' } };
      return { status: 200, body: reply };
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/** The answer a stored decision gave, or undefined when there is none under this id. */
async function answerOf(db: Queryable, id: string): Promise<ActionReply | undefined> {
  const row = (await db.query<{ id: string; decision: Verdict['decision']; reason: string; category: string; job_id: number | null }>(sql.getChatbotDecision, [id])).rows[0];
  if (!row) return undefined;
  const body: ActionReply['body'] = { decision: row.decision, reason: row.reason, category: row.category, decision_id: row.id };
  if (row.job_id != null) body.job_id = String(row.job_id);
  return row.decision === 'rejected' ? { status: 422, body: { ...body, error: 'unprocessable' } } : { status: 200, body };
}

function identityPairs(req: ActionRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (req.email) out.push(['email', req.email]);
  if (req.userId) out.push(['app_user', req.userId]);
  return out;
}

/** NUL characters and unpaired surrogates cannot be stored: the request is unreadable (422), never a 500. */
function storableProblem(body: unknown): FieldError[] | undefined {
  try {
    assertStorable(body);
    return undefined;
  } catch (err) {
    if (err instanceof HandoffError) return [{ path: '(body)', message: err.message }];
    throw err;
  }
}

/** What the customer's timeline shows about a decision: ids, verdict and evidence, never the message. */
export function timelineDetail(decisionId: string, req: Pick<ActionRequest, 'conversationId' | 'action' | 'botConfidence'>, v: Verdict, c: Classification, steering: string[]) {
  return {
    decision_id: decisionId,
    conversation_id: req.conversationId,
    action: req.action.slice(0, 100),
    decision: v.decision,
    reason: v.reason,
    category: c.category,
    priority: v.priority,
    bot_confidence: req.botConfidence ?? null,
    classifier: { name: c.classifier, confidence: c.confidence, ...(c.fallback ? { fallback: c.fallback } : {}) },
    ...(steering.length ? { steering } : {}),
  };
}
