import { Hono } from 'hono';
import { toHttp, UNAVAILABLE_RETRY_AFTER_S } from '../errors.js';
import type { AppDeps, Env } from './context.js';
import { limitBody, requestContext } from './middleware.js';
import { httpMetrics } from '../monitor/index.js';
import { alertRoutes } from './routes/alerts.js';
import { backfillRoutes } from './routes/backfill.js';
import { adminRoutes } from './routes/admin.js';
import { chatbotRoutes } from './routes/chatbot.js';
import { connectorRoutes } from './routes/connectors.js';
import { driftRoutes } from './routes/drift.js';
import { customerRoutes } from './routes/customers.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { dashboardRoutes } from '../dashboard/index.js';
import { reviewRoutes } from './routes/review.js';
import { rehearseRoutes } from './routes/rehearse.js';
import { webhookRoutes } from './routes/webhooks.js';

const POST_ONLY = ['/api/webhooks/stripe', '/api/webhooks/clerk', '/api/webhooks/zendesk', '/api/events', '/api/chatbot/actions'];

/** The Hono app: the public contract of DESIGN.md. Errors map to HTTP in ONE place (errors.ts). */
export function createApp(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', httpMetrics(deps.metrics));
  app.use('*', requestContext(deps));
  app.use('/api/webhooks/*', limitBody(deps.config.bodyLimitBytes));
  app.use('/api/events', limitBody(deps.config.bodyLimitBytes));
  app.use('/api/chatbot/*', limitBody(deps.config.bodyLimitBytes));

  app.route('/api/webhooks', webhookRoutes(deps));
  app.route('/api/events', eventRoutes(deps));
  app.route('/api/customers', customerRoutes(deps));
  app.route('/api/chatbot', chatbotRoutes(deps));
  app.route('/api/review', reviewRoutes(deps));
  app.route('/api/alerts', alertRoutes(deps));
  app.route('/api/connectors', connectorRoutes(deps));
  app.route('/api/drift', driftRoutes(deps));
  app.route('/api/admin', adminRoutes(deps));
  app.route('/api/admin/rehearse', rehearseRoutes(deps));
  app.route('/api/admin/backfill', backfillRoutes(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', dashboardRoutes(deps));

  for (const path of POST_ONLY) {
    app.all(path, (c) => {
      c.header('allow', 'POST');
      return c.json({ error: 'method_not_allowed', message: `${c.req.method} is not allowed here; use POST` }, 405);
    });
  }
  // API callers get JSON; a person who typed a wrong dashboard address gets a page with a way back.
  app.notFound((c) =>
    c.req.path.startsWith('/api/') || c.req.path === '/metrics' || c.req.method !== 'GET'
      ? c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404)
      : c.html('<!doctype html><html lang="en"><title>Not found · Handoff</title><h1>Not found</h1><p>There is no page here. <a href="/">Back to the dashboard</a></p></html>', 404),
  );
  app.onError((err, c) => {
    const { status, body } = toHttp(err);
    if (status === 503) c.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
    const log = c.get('log') ?? deps.logger;
    if (status >= 500) log.error({ err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } }, 'request failed');
    else log.warn({ status, error: body.error }, 'request refused');
    return c.json(body, status as 400);
  });
  return app;
}
