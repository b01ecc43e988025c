import { Hono } from 'hono';
import { BadRequestError } from '../../errors.js';
import { fromClerk, fromStripe, fromZendesk } from '../../events/index.js';
import { verifyStandardWebhook, verifyStripe, verifyZendesk } from '../../ingest/index.js';
import { readBodyText } from '../body.js';
import type { AppDeps, Env } from '../context.js';
import { accept } from './accept.js';

/** Signed webhooks. Verification happens on the raw bytes BEFORE any parse or write. */
export function webhookRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  // Rejections are counted by outcome in the http-metrics middleware (handoff_webhooks_total).
  const rejected = (_source: string, err: unknown): never => {
    throw err;
  };

  app.post('/stripe', async (c) => {
    const started = performance.now();
    const raw = await readBodyText(c.req.raw);
    let event;
    let verified: unknown;
    try {
      verified = verifyStripe(raw, c.req.header('stripe-signature'), deps.config.stripe.webhookSecrets, deps.clock.now().getTime());
      event = fromStripe(verified);
    } catch (err) {
      if (err instanceof SyntaxError) return rejected('stripe', new BadRequestError('body is not valid JSON'));
      return rejected('stripe', err);
    }
    return accept(c, deps, event, verified, started);
  });

  app.post('/clerk', async (c) => {
    const started = performance.now();
    const raw = await readBodyText(c.req.raw);
    let event;
    let payload: unknown;
    try {
      const msg = verifyStandardWebhook(raw, (n) => c.req.header(n), deps.config.clerk.webhookSecret, 'clerk');
      payload = msg.payload;
      event = fromClerk(payload, { id: msg.id });
    } catch (err) {
      if (err instanceof SyntaxError) return rejected('clerk', new BadRequestError('body is not valid JSON'));
      return rejected('clerk', err);
    }
    return accept(c, deps, event, payload, started);
  });

  // Zendesk (event subscriptions and trigger bodies): base64 HMAC of timestamp + raw body, ±5 minutes.
  app.post('/zendesk', async (c) => {
    const started = performance.now();
    const raw = await readBodyText(c.req.raw);
    let event;
    let payload: unknown;
    try {
      const delivery = verifyZendesk(raw, (n) => c.req.header(n), deps.config.zendeskWebhook.secret, deps.clock.now().getTime());
      payload = delivery.payload;
      event = fromZendesk(payload, delivery.signedAt);
    } catch (err) {
      if (err instanceof SyntaxError) return rejected('zendesk', new BadRequestError('body is not valid JSON'));
      return rejected('zendesk', err);
    }
    return accept(c, deps, event, payload, started);
  });

  return app;
}
