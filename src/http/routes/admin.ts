import { Hono } from 'hono';
import {
  createApiKey,
  listApiKeys,
  listJobs,
  parseJobFilter,
  parseJobId,
  parseNewKey,
  retryDeadJobs,
  retryJob,
  revokeApiKey,
  systemStatus,
} from '../../admin/index.js';
import { BadRequestError } from '../../errors.js';
import { assertStorable } from '../../events/index.js';
import { readJsonObject } from '../body.js';
import type { AppDeps, Env } from '../context.js';
import { limitBody, requireAdmin } from '../middleware.js';

/**
 * The admin API under /api/admin (Bearer HANDOFF_ADMIN_TOKEN). It exists so that commands can read and
 * change data while a server owns an embedded PGlite database: `handoff jobs`, `keys`, `doctor` use it.
 * Every input is validated before any write; bad input is a 4xx naming the problem.
 *
 *   GET    /status                      migrations, live dispatchers, backlog
 *   GET    /jobs?status=&connector=&limit=
 *   POST   /jobs/:id/retry              one dead job → pending (404 unknown, 409 not dead)
 *   POST   /jobs/retry-dead             {"connector"?} every dead job (of one connector) → pending
 *   GET    /keys                        every key, never the key or its hash
 *   POST   /keys                        {"name","scopes"} → 201 with the key, shown once
 *   DELETE /keys/:idOrPrefix            revoke
 */
export function adminRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  // Admin answers carry operational data (and once, a new API key): never cached.
  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });

  app.get('/status', async (c) => c.json(await systemStatus(deps.db, Math.max(30_000, deps.config.dispatcher.leaseMs))));

  app.get('/jobs', async (c) => {
    const q = c.req.query();
    assertStorable(q);
    const filter = parseJobFilter({ status: q.status, connector: q.connector, limit: q.limit });
    return c.json({ jobs: await listJobs(deps.db, filter) });
  });
  app.post('/jobs/retry-dead', async (c) => {
    const body = await readJsonObject(c.req.raw);
    const connector = body.connector;
    if (connector !== undefined && connector !== null && typeof connector !== 'string') throw new BadRequestError('connector must be a string');
    const jobs = await retryDeadJobs(deps.db, connector || undefined);
    c.get('log').info({ retried: jobs.length, connector: connector || undefined }, 'dead jobs queued again by an operator');
    return c.json({ retried: jobs.length, jobs });
  });
  app.post('/jobs/:id/retry', async (c) => {
    const job = await retryJob(deps.db, parseJobId(c.req.param('id')));
    c.get('log').info({ jobId: job.id, connector: job.connector }, 'dead job queued again by an operator');
    return c.json({ job });
  });

  app.get('/keys', async (c) => c.json({ keys: await listApiKeys(deps.db) }));
  app.post('/keys', async (c) => {
    const body = await readJsonObject(c.req.raw);
    const created = await createApiKey(deps.db, deps.ids, parseNewKey(body));
    c.get('log').info({ keyId: created.apiKey.id, scopes: created.apiKey.scopes }, 'API key created');
    return c.json(created, 201);
  });
  app.delete('/keys/:ref', async (c) => {
    const apiKey = await revokeApiKey(deps.db, c.req.param('ref'));
    c.get('log').info({ keyId: apiKey.id }, 'API key revoked');
    return c.json({ apiKey });
  });
  return app;
}

