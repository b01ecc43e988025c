import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { sql } from '../../db/index.js';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../../errors.js';
import { fieldErrors } from '../../events/index.js';
import { bearerToken, hashApiKey } from '../../ingest/index.js';
import { latestReport, providerReaders, runReconcile, type ProviderReaders } from '../../reconcile/index.js';
import type { AppDeps, Env } from '../context.js';
import { limitBody } from '../middleware.js';
import { readJsonObject } from '../body.js';

const RunBody = z
  .object({
    customer: z.string().trim().min(1).max(500).optional(),
    limit: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

/**
 * Drift between Handoff and the providers (src/reconcile), admin token only:
 *   GET  /api/drift       the newest stored report ({"report": null} before the first run)
 *   POST /api/drift/run   {"customer"?, "limit"?} a fresh check now → its report (nothing is changed)
 *   POST /api/drift/fix   same, healing what differs (Stripe wins for billing, Handoff for the CRM)
 * `handoff reconcile` uses these when the server owns an embedded database. A run reads the providers one
 * customer at a time, so it answers after the whole run: a large account is better served by the CLI
 * against PostgreSQL, or the schedule.
 * Auth: no or a wrong token → 401; an app API key (valid, but not the admin token) → 403.
 */
export function driftRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  // Built at the first run (the Stripe client is not needed by apps that never reconcile).
  let readers: ProviderReaders | undefined;
  app.use('*', adminOnly(deps));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });

  app.get('/', async (c) => c.json({ report: (await latestReport(deps.db)) ?? null }));

  const run = (fix: boolean) => async (c: Context<Env>) => {
    const body = await runBody(c.req.raw);
    const report = await runReconcile(
      { db: deps.db, config: deps.config, readers: (readers ??= providerReaders(deps.config)), record: deps.record, clock: deps.clock, ids: deps.ids },
      { trigger: 'api', runBy: 'api', fix, customer: body.customer, limit: body.limit },
    );
    c.get('log').info({ reportId: report.id, drift: report.driftCount, fixed: report.fixedCount, fix }, 'reconcile run through the admin API');
    return c.json({ report });
  };
  app.post('/run', run(false));
  app.post('/fix', run(true));
  return app;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The admin token (constant-time) passes; a live app API key is refused with 403; anything else 401. */
function adminOnly(deps: AppDeps): MiddlewareHandler<Env> {
  const expected = deps.config.adminToken ? digest(deps.config.adminToken) : undefined;
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (expected && token && timingSafeEqual(digest(token), expected)) return next();
    if (token) {
      const { rows } = await deps.db.query<{ id: string }>(sql.findApiKey, [hashApiKey(token)]);
      if (rows[0]) throw new ForbiddenError('drift reports need the admin token (HANDOFF_ADMIN_TOKEN), not an app API key');
    }
    throw new UnauthorizedError('admin token required: Authorization: Bearer <HANDOFF_ADMIN_TOKEN>');
  };
}

async function runBody(req: Request): Promise<z.infer<typeof RunBody>> {
  const v = await readJsonObject(req);
  const parsed = RunBody.safeParse(v);
  if (!parsed.success) throw new BadRequestError('invalid reconcile request: {"customer"?: string, "limit"?: integer ≥ 1}', fieldErrors(parsed.error.issues));
  return parsed.data;
}
