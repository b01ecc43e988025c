import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { bearerToken, hashApiKey } from '../../ingest/index.js';
import { builtinClassifier, createGateway, createLlmClassifier } from '../../chatbot/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireScope } from '../middleware.js';

/**
 * The chatbot: `POST /api/chatbot/actions` with an API key of scope chatbot:act (401 without a valid key,
 * 403 without the scope). 200 {decision: executed | needs_review, reason, category, job_id?}; an unknown
 * action or an unreadable body is 422 {decision: "rejected", …}. Body limit as /api/events (app.ts).
 * An optional `Idempotency-Key` header makes a retried request answer with the first decision and run nothing
 * again (kept as long as the decision is).
 */
/** Printable ASCII, as in an HTTP header a bot would send. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function chatbotRoutes(deps: AppDeps) {
  const cfg = deps.config.chatbot;
  const gateway = createGateway({
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    record: deps.record,
    rules: { confidenceThreshold: cfg.confidenceThreshold, actionsPerHour: cfg.actionsPerHour },
    classifier: cfg.classifier ? createLlmClassifier(cfg.classifier) : builtinClassifier,
    metrics: deps.metrics,
  });
  const app = new Hono<Env>();
  app.post('/actions', requireScope(deps, 'chatbot:act'), async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      const reply = gateway.refuse([{ path: '(body)', message: 'body is not valid JSON' }], c.get('log'));
      return c.json(reply.body, reply.status);
    }
    const idempotencyKey = c.req.header('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      const reply = gateway.refuse([{ path: 'Idempotency-Key', message: 'must be 1–200 printable ASCII characters' }], c.get('log'));
      return c.json(reply.body, reply.status);
    }
    // Scoped by the API key, so two bots' keys never meet; the decision id is derived, never the key itself.
    const decisionId =
      idempotencyKey === undefined
        ? undefined
        : `idem-${createHash('sha256').update(`${hashApiKey(bearerToken(c.req.header('authorization')) ?? '')}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
    const reply = await gateway.submit(body, c.get('log'), decisionId);
    return c.json(reply.body, reply.status);
  });
  return app;
}
