import { Hono, type Context } from 'hono';
import { BackfillRefused, getBackfillRun, parseBackfillRequest, prepareBackfill } from '../../backfill/index.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { StripeApiError, stripeClient } from '../../stripe-api/index.js';
import type { AppDeps, Env } from '../context.js';
import { limitBody, requireAdmin } from '../middleware.js';
import { readJsonObject } from '../body.js';

/**
 * The backfill under /api/admin/backfill (Bearer HANDOFF_ADMIN_TOKEN), so `handoff backfill stripe` works
 * while this server owns an embedded PGlite database. A backfill takes minutes, so it is a job started
 * here and polled, not one long request: a proxy's timeout or a closed laptop cannot cut it in half, and
 * its progress lives in backfill_runs, readable by anyone.
 *
 *   POST /                {"since"?, "syncCrm"?, "restart"?} → 202 {run, resumed}; checks first (400 bad input,
 *                         422 no STRIPE_SECRET_KEY / --sync-crm without HubSpot, 409 already running,
 *                         502 Stripe refused the key or is down) and writes nothing when a check fails
 *   GET  /                the newest run (404 when there was none)
 *   GET  /:id             one run: status, per-kind cursors and counts
 *   POST /:id/stop        ask this server's run to stop at its next page (→ interrupted, resumable)
 *
 * The run executes in this server with THIS server's STRIPE_SECRET_KEY / STRIPE_API_BASE_URL and
 * connectors. If the server stops mid-run, the run is resumed by the next `handoff backfill stripe`.
 */
export function backfillRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const running = new Map<string, AbortController>();
  app.use('*', requireAdmin(deps));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });

  app.post('/', async (c) => {
    const req = parseBackfillRequest(await readJsonObject(c.req.raw), deps.clock.now());
    const api = deps.config.stripe.api;
    if (!api) return refused(c, new BackfillRefused(422, 'STRIPE_SECRET_KEY is not set on this server: the backfill reads Stripe\'s API with it', 'set STRIPE_SECRET_KEY (a restricted rk_… key with read access is enough) where the server runs, and restart it'));
    const stop = new AbortController();
    let prepared;
    try {
      prepared = await prepareBackfill(
        {
          db: deps.db,
          stripe: stripeClient(api, { timeoutMs: Math.max(deps.config.http.timeoutMs, 10_000) }),
          record: deps.record,
          hubspotEnabled: deps.record.enabledConnectors.has('hubspot'),
        },
        { ...req, signal: stop.signal },
      );
    } catch (err) {
      if (err instanceof BackfillRefused || err instanceof StripeApiError) return refused(c, err);
      throw err;
    }
    const log = c.get('log');
    const { run, resumed } = prepared;
    running.set(run.id, stop);
    log.info({ backfillRun: run.id, resumed, syncCrm: run.syncCrm }, 'backfill started');
    void prepared
      .execute()
      .then(
        (done) => log.info({ backfillRun: run.id, status: done.status, counts: done.counts }, 'backfill ended'),
        (err: unknown) => log.warn({ backfillRun: run.id, error: err instanceof Error ? err.message : String(err) }, 'backfill failed; the next run resumes it'),
      )
      .finally(() => running.delete(run.id));
    return c.json({ run, resumed }, 202);
  });

  app.get('/', async (c) => {
    const run = await getBackfillRun(deps.db, undefined);
    if (!run) throw new NotFoundError('no backfill has run yet');
    return c.json({ run });
  });
  app.get('/:id', async (c) => {
    const run = await getBackfillRun(deps.db, runId(c.req.param('id')));
    if (!run) throw new NotFoundError(`no backfill run ${c.req.param('id').slice(0, 64)}`);
    return c.json({ run });
  });
  app.post('/:id/stop', async (c) => {
    const id = runId(c.req.param('id'));
    const stop = running.get(id);
    if (!stop) throw new NotFoundError(`backfill run ${id} is not running in this server`);
    stop.abort();
    return c.json({ stopping: id }, 202);
  });
  return app;
}

/** A refusal the CLI can print as is: message and what to do. */
function refused(c: Context<Env>, err: BackfillRefused | StripeApiError) {
  if (err instanceof StripeApiError) {
    // Stripe refused or failed: not this request's fault, so not a 4xx; the message says which and is safe to show.
    return c.json({ error: 'provider_error', reason: err.reason, message: err.message, ...(err.fix ? { fix: err.fix } : {}) }, 502);
  }
  return c.json({ error: err.status === 409 ? 'conflict' : 'unprocessable', message: err.message, ...(err.fix ? { fix: err.fix } : {}) }, err.status as 409 | 422);
}

function runId(raw: string): string {
  if (!/^[0-9a-f-]{8,64}$/i.test(raw)) throw new BadRequestError('a backfill run id is a UUID');
  return raw;
}


