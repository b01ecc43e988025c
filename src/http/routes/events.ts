import { Hono } from 'hono';
import { BadRequestError } from '../../errors.js';
import { fromApp } from '../../events/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireScope } from '../middleware.js';
import { accept, parseJson } from './accept.js';

/** The founder's app: `Authorization: Bearer <key>` with scope events:write. */
export function eventRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.post('/', requireScope(deps, 'events:write'), async (c) => {
    const started = performance.now();
    let body: unknown;
    try {
      body = parseJson(await c.req.text());
    } catch {
      throw new BadRequestError('body is not valid JSON');
    }
    const event = fromApp(body, deps.clock.now());
    return accept(c, deps, event, body, started);
  });
  return app;
}
