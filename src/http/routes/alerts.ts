import { Hono } from 'hono';
import { BadRequestError } from '../../errors.js';
import { listAlerts } from '../../monitor/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireAdmin } from '../middleware.js';

/** Admin: open alert incidents, recent history (`?limit=`, 1–500, default 50), the rules and their thresholds. */
export function alertRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.get('/', async (c) => {
    const raw = c.req.query('limit');
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequestError('limit must be an integer from 1 to 500');
    return c.json(await listAlerts(deps.db, deps.config, limit));
  });
  return app;
}
