import { Hono } from 'hono';
import { builtinClassifier, createGateway, createLlmClassifier } from '../../chatbot/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireScope } from '../middleware.js';

/**
 * The chatbot: `POST /api/chatbot/actions` with an API key of scope chatbot:act (401 without a valid key,
 * 403 without the scope). 200 {decision: executed | needs_review, reason, category, job_id?}; an unknown
 * action or an unreadable body is 422 {decision: "rejected", …}. Body limit as /api/events (app.ts).
 */
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
    const reply = await gateway.submit(body, c.get('log'));
    return c.json(reply.body, reply.status);
  });
  return app;
}
