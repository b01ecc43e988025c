import { Hono } from 'hono';
import { listReview, review, REVIEW_STATES, type ReviewFilter } from '../../chatbot/index.js';
import { BadRequestError } from '../../errors.js';
import { assertStorable } from '../../events/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireAdmin } from '../middleware.js';

const LIMIT_DEFAULT = 100;
const LIMIT_MAX = 500;

/**
 * The founder's review queue for chatbot actions (admin token):
 *   GET  /api/review?status=pending|approved|rejected|all&limit=N  (default pending, 100; most urgent first)
 *   POST /api/review/:id/approve  → the stored action runs now (200 {id, review, job_id?})
 *   POST /api/review/:id/reject   → dropped (200 {id, review})
 * Same verdict twice: 200 with `already: true`; the opposite verdict: 409; unknown id: 404.
 */
export function reviewRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.get('/', async (c) => {
    const status = c.req.query('status') ?? 'pending';
    if (!(REVIEW_STATES as readonly string[]).includes(status)) throw new BadRequestError(`status must be one of ${REVIEW_STATES.join(', ')}`);
    const rawLimit = c.req.query('limit');
    const limit = rawLimit === undefined ? LIMIT_DEFAULT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMIT_MAX) throw new BadRequestError(`limit must be an integer from 1 to ${LIMIT_MAX}`);
    return c.json({ decisions: await listReview(deps.db, status as ReviewFilter, limit) });
  });
  for (const [path, verdict] of [
    ['/:id/approve', 'approved'],
    ['/:id/reject', 'rejected'],
  ] as const) {
    app.post(path, async (c) => {
      const id = c.req.param('id');
      assertStorable(id); // a NUL in the path is the caller's 400, not the database's 500
      const reply = await review({ db: deps.db, clock: deps.clock, record: deps.record }, id, verdict, c.get('log'));
      return c.json(reply.body, reply.status);
    });
  }
  return app;
}
