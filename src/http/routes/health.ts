import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { pendingMigrations } from '../../db/index.js';
import { bearerToken } from '../../ingest/index.js';
import { UnauthorizedError } from '../../errors.js';
import type { AppDeps, Env } from '../context.js';

const sameSecret = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.get('/api/health', (c) => c.json({ status: 'ok' }));
  app.get('/api/ready', async (c) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await deps.db.query('SELECT 1');
      checks.database = { ok: true };
      const pending = await pendingMigrations(deps.db);
      checks.migrations = pending.length ? { ok: false, detail: `pending: ${pending.join(', ')}; run handoff migrate` } : { ok: true };
      checks.dispatcher = (await deps.dispatcherAlive()) ? { ok: true } : { ok: false, detail: 'no dispatcher heartbeat; start handoff worker' };
    } catch {
      checks.database = { ok: false, detail: 'database unreachable' };
    }
    const ok = Object.values(checks).every((x) => x.ok) && Object.keys(checks).length === 3;
    return c.json({ status: ok ? 'ready' : 'not_ready', checks }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    // Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time.
    if (deps.config.metricsToken && !sameSecret(bearerToken(c.req.header('authorization')), deps.config.metricsToken)) {
      throw new UnauthorizedError('metrics token required: Authorization: Bearer <METRICS_TOKEN>');
    }
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return app;
}
