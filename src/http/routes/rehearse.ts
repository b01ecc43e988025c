import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { BadRequestError, HandoffError } from '../../errors.js';
import { assertStorable } from '../../events/index.js';
import { candidateOf, currentOf, parseSince, runRehearsal, type RehearsalReport } from '../../rehearse/index.js';
import type { AppDeps, Env } from '../context.js';
import { limitBody, requireAdmin } from '../middleware.js';

/** Progress lines at most this often; the last batch is always followed by the report line. */
const PROGRESS_EVERY_MS = 250;

/** One line of the answer's NDJSON stream. */
export type RehearseLine =
  | { progress: { done: number; total: number } }
  | { report: RehearsalReport }
  | { error: { message: string } };

/**
 * POST /api/admin/rehearse  {"since": "2026-11-01" | "7d", "config"?: {…candidate file…}}  (Bearer HANDOFF_ADMIN_TOKEN)
 *
 * The rehearsal runs in THIS process, on the database it owns (embedded PGlite is one connection; the CLI
 * comes here when a server holds it). Bad input is a 400 before anything runs (`details` name each bad
 * field, e.g. `rules.change.refund.to`). Then 200 with `application/x-ndjson`: `{"progress":{…}}` lines
 * while it replays, then exactly one `{"report":{…}}` or `{"error":{…}}`. A client that disconnects stops
 * the rehearsal at the next batch (its scratch schema is dropped). One rehearsal at a time per process: a
 * second one gets 409 (each replays the whole inbox, and PGlite's live pipeline must keep its turn).
 */
export function rehearseRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  let running = false;

  app.post('/', async (c) => {
    const body = await jsonObject(c.req.raw);
    const since = parseSince(body.since, deps.clock.now());
    const candidate = candidateOf(body.config ?? {}, currentOf(deps.config));
    if (running) throw new HandoffError('unprocessable', 409, 'a rehearsal is already running on this server; wait for it to finish');
    running = true;
    const log = c.get('log');
    const abort = new AbortController();
    c.header('content-type', 'application/x-ndjson');
    c.header('cache-control', 'no-store');
    return stream(c, async (out) => {
      out.onAbort(() => abort.abort());
      const send = (l: RehearseLine) => out.write(`${JSON.stringify(l)}\n`);
      let last = 0;
      try {
        log.info({ since: since.toISOString(), selfCheck: candidate.unchanged }, 'rehearsal started');
        const report = await runRehearsal(deps.db, deps.config, deps.record, { since, candidate }, {
          signal: abort.signal,
          onProgress: (done, total) => {
            if (Date.now() - last < PROGRESS_EVERY_MS && done < total) return;
            last = Date.now();
            void send({ progress: { done, total } });
          },
        });
        log.info({ events: report.replayed.events, differences: report.differences }, 'rehearsal finished');
        await send({ report });
      } catch (err) {
        // The status line is gone; the failure is the stream's last line. The message never carries data.
        const message = abort.signal.aborted ? 'the rehearsal was interrupted' : 'the rehearsal failed; see the server log';
        log.error({ err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } }, 'rehearsal failed');
        if (!abort.signal.aborted) await send({ error: { message } });
      } finally {
        running = false;
      }
    });
  });
  return app;
}

async function jsonObject(req: Request): Promise<Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(await req.text());
  } catch {
    throw new BadRequestError('body is not valid JSON: send {"since": "2026-11-01", "config": {…}}');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadRequestError('body must be a JSON object: {"since": "2026-11-01", "config": {…}}');
  assertStorable(v);
  return v as Record<string, unknown>;
}
