import { Hono } from 'hono';
import { NotFoundError } from '../../errors.js';
import { assertStorable } from '../../events/index.js';
import { sql } from '../../db/index.js';
import { getLiveCustomer } from '../../pipeline/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireAdmin } from '../middleware.js';
import { customerView } from '../../pipeline/customer-view.js';

/** Admin read API: one customer's truth, by id, email or any linked external id. */
export function customerRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.get('/:idOrEmail', async (c) => {
    const ref = c.req.param('idOrEmail').trim();
    assertStorable(ref); // a NUL in the path is the caller's 400, not the database's 500
    const { rows } = await deps.db.query<{ id: string }>(sql.findCustomerRef, [ref]);
    const customer = rows[0] && (await getLiveCustomer(deps.db, rows[0].id));
    if (!customer) throw new NotFoundError(`no customer matches ${JSON.stringify(ref.slice(0, 200))}`);
    return c.json(await customerView(deps.db, customer));
  });
  return app;
}
