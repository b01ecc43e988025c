import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import { HandoffError } from '../errors.js';
import type { Metrics, WebhookOutcome } from './metrics.js';

const WEBHOOKS = '/api/webhooks/';

/**
 * Mounted first on the whole app. Observes every request's duration under its matched route PATTERN
 * (`/api/customers/:idOrEmail`, never the raw path, so label cardinality stays bounded; a request no
 * route matched is `unmatched`). POSTs to a webhook route or /api/events are also counted by outcome,
 * in the Prometheus counter and in the per-bucket stats the failure-rate alert reads.
 */
/** Marks `handoff doctor`'s own probe requests. */
export const PROBE_HEADER = 'x-handoff-probe';

export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const route = routeLabel(c, status);
      metrics.httpDuration.observe({ route, method: c.req.method, status: String(status) }, (performance.now() - started) / 1000);
      // The doctor's unsigned self-test (PROBE_HEADER) is not a delivery: it must not raise the failure-rate alert.
      // A sender could set the header to hide its own junk from that rate, never anyone else's failures.
      const source = c.req.method === 'POST' && !c.req.header(PROBE_HEADER) ? sourceOf(c) : undefined;
      if (source) {
        const outcome = outcomeOf(status, c.error, metrics.isDuplicate(c.req.raw));
        metrics.webhooks.inc({ source, outcome });
        metrics.webhookStats.add(source, outcome);
      }
    }
  };
}

function routeLabel(c: Context, status: number): string {
  let route: string | undefined;
  try {
    route = routePath(c); // after next(): the route whose handler answered (or the middleware that threw)
  } catch {
    route = undefined;
  }
  // Only middleware matched (a `*` pattern) and nothing answered: the path itself must not become a label.
  if (!route || (status === 404 && route.includes('*'))) return 'unmatched';
  return route;
}

/**
 * The webhook route this request was for, among every route it matched: a middleware that refused it
 * (413 from the body limit) still counts against the route's source. Undefined = not a webhook request.
 */
function sourceOf(c: Context): string | undefined {
  for (const r of matchedRoutes(c)) {
    const source = r.method === 'POST' ? webhookSource(r.path) : undefined;
    if (source) return source;
  }
  return undefined;
}

/** `/api/webhooks/stripe` → stripe, `/api/events` → app; anything else is not a webhook. */
export function webhookSource(route: string): string | undefined {
  if (route === '/api/events') return 'app';
  if (route.startsWith(WEBHOOKS)) {
    const name = route.slice(WEBHOOKS.length);
    if (/^[a-z0-9_-]+$/.test(name)) return name;
  }
  return undefined;
}

/** 2xx accepted/duplicate; a bad signature or API key rejected_signature; other 4xx invalid; 5xx error. */
export function outcomeOf(status: number, error: unknown, duplicate: boolean): WebhookOutcome {
  if (status >= 200 && status < 300) return duplicate ? 'duplicate' : 'accepted';
  if (status >= 500) return 'error';
  if (status === 401 || status === 403 || (error instanceof HandoffError && error.code === 'invalid_signature')) return 'rejected_signature';
  return 'invalid';
}
