import { Hono } from 'hono';
import { CONNECTOR_NAMES, type ConnectorName } from '../../connectors/types.js';
import { sql } from '../../db/index.js';
import { listConnectorStates, windowRoom, type ConnectorStateRow } from '../../dispatcher/index.js';
import type { AppDeps, Env } from '../context.js';
import { requireAdmin } from '../middleware.js';

interface BacklogRow {
  connector: string;
  pending: number;
  due: number;
  running: number;
  oldest_pending_at: Date | null;
}

/**
 * Admin: each configured connector's delivery state, as every dispatcher sharing the database sees it.
 * `state` closed = delivering; open (circuit: too many failures in a row), paused (credentials refused
 * or daily quota spent) or disabled (endpoint gone) = its jobs wait; `reason` says why and `variable`
 * which setting to fix. `circuit` is closed, open, or half_open while one probe job runs. `rateLimit`
 * is the configured pace and the calls left in the current rolling window; `backlog` the jobs waiting.
 * A connector no dispatcher has claimed for yet shows as closed with its whole window free.
 */
export function connectorRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.use('*', requireAdmin(deps));
  app.get('/', async (c) => {
    const [states, backlog] = await Promise.all([listConnectorStates(deps.db), deps.db.query<BacklogRow>(sql.countConnectorBacklog)]);
    const stateOf = new Map(states.map((s) => [s.connector, s]));
    const backlogOf = new Map(backlog.rows.map((b) => [b.connector, b]));
    const configured = CONNECTOR_NAMES.filter((n) => deps.record.enabledConnectors.has(n));
    return c.json({ connectors: configured.map((name) => view(name, stateOf.get(name), backlogOf.get(name), deps)) });
  });
  return app;
}

function view(name: ConnectorName, s: ConnectorStateRow | undefined, b: BacklogRow | undefined, deps: AppDeps) {
  const limit = deps.config.rateLimits[name];
  const state = s?.status ?? 'closed';
  return {
    name,
    state,
    reason: s?.reason ?? null,
    variable: s?.variable ?? null,
    since: s?.since ?? null,
    nextProbeAt: s?.next_probe_at ?? null,
    circuit: state === 'closed' ? 'closed' : s?.probing ? 'half_open' : 'open',
    consecutiveFailures: s?.consecutive_failures ?? 0,
    lastError: s?.last_error ?? null,
    rateLimit: {
      calls: limit.tokens,
      windowMs: limit.intervalMs,
      available: s ? windowRoom(limit, s.window_at, s.window_n, s.now_ms) : limit.tokens,
    },
    backlog: { pending: b?.pending ?? 0, due: b?.due ?? 0, running: b?.running ?? 0, oldestPendingAt: b?.oldest_pending_at ?? null },
  };
}
