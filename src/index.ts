/**
 * Handoff as a library: the same HTTP routes inside another server, e.g. a Next.js catch-all route
 * handler (`app/api/[...handoff]/route.ts`, see examples/nextjs). `handoff web` and this entry share
 * ONE composition (runtime.ts); only the listening socket and the dispatcher are left out.
 *
 * Invariants:
 * - Nothing happens at import or at `createHandoff()`: a framework's build step may load the module.
 *   The first request (or `ready()`) parses the configuration, opens the database and migrates it
 *   (under the advisory lock, so any number of processes may start at once).
 * - One runtime per process and configuration, kept on globalThis: handles created from several
 *   route files, or again after a dev-server reload, share one connection pool.
 * - No dispatcher runs in the web process. Effects leave through `handoff worker` (a long-running
 *   process) or `runDueJobs()` called from a cron route.
 * - Embedded PGlite belongs to one process (lock file); a framework runs several, and the worker is
 *   another. So DATABASE_URL (PostgreSQL) is required unless `allowEmbedded` is set.
 */
import { createHash } from 'node:crypto';
import { systemIds } from './clock.js';
import { loadConfig, type AppConfig } from './config/index.js';
import { sql } from './db/index.js';
import { StartupError } from './errors.js';
import { createLogger, type Logger } from './monitor/index.js';
import { createDispatcher, startRuntime, type Runtime } from './runtime.js';

export { ConfigError, StartupError } from './errors.js';
export type { AppConfig } from './config/index.js';
export type { Logger } from './monitor/index.js';

export interface HandoffOptions {
  /** The variables to configure from (README "Configuration"). Default: `process.env`, read at first use. */
  env?: Record<string, string | undefined>;
  /**
   * Accept embedded PGlite (no DATABASE_URL). Default false: only safe when ONE process ever opens the
   * data dir — a single `next dev` with `runDueJobs()` as its dispatcher, never `next start` plus `handoff worker`.
   */
  allowEmbedded?: boolean;
  /** Default: Handoff's JSON logger (pino, stdout) at LOG_LEVEL. */
  logger?: Logger;
}

export interface DueJobsOptions {
  /** Stop claiming after this long; in-flight jobs still finish and are recorded. Default 10 000 ms. */
  maxMs?: number;
}

export interface DueJobsReport {
  /** True when no job was due or running at the end of the pass; false when `maxMs` ran out first. */
  drained: boolean;
  /** Jobs still due (paced, gated, or beyond the time budget) and running (here or in other workers) afterwards. */
  due: number;
  running: number;
  elapsedMs: number;
}

export interface Handoff {
  /** Serves Handoff's routes (`/api/webhooks/stripe`, `/api/events`, `/api/health`, …) for a standard Request. */
  fetch(request: Request): Promise<Response>;
  /** Starts now instead of at the first request; rejects with the reason Handoff cannot start. */
  ready(): Promise<void>;
  /** One dispatcher pass (for a cron route): runs due outbox jobs until none is left or `maxMs` passes. */
  runDueJobs(opts?: DueJobsOptions): Promise<DueJobsReport>;
  /** Releases the database (tests, graceful shutdown). A later request starts again. */
  close(): Promise<void>;
}

interface Shared {
  runtime?: Promise<Runtime>;
  /** The pass in progress: concurrent cron calls in one process join it instead of racing. */
  pass?: Promise<DueJobsReport>;
}

const REGISTRY = Symbol.for('handoff.embedded-runtimes');
type Registry = Map<string, Shared>;
function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  return (g[REGISTRY] ??= new Map());
}

/** Identifies a configuration without keeping its secrets in memory as a key. */
function keyOf(env: Record<string, string | undefined>, allowEmbedded: boolean): string {
  const entries = Object.entries(env).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([allowEmbedded, entries])).digest('hex');
}

const EMBEDDED_REFUSED =
  'Handoff inside a web framework needs PostgreSQL: set DATABASE_URL=postgres://… . Embedded PGlite belongs to ONE ' +
  'process, and Next.js runs several (plus `handoff worker`); a second one would fail on the lock file. ' +
  'For a single-process local trial only, pass createHandoff({ allowEmbedded: true }).';

async function start(config: AppConfig, opts: HandoffOptions): Promise<Runtime> {
  if (config.database.kind === 'pglite' && !opts.allowEmbedded) throw new StartupError(EMBEDDED_REFUSED);
  // web: false → no listening socket (the framework owns it); worker: false → no dispatcher here.
  return startRuntime(config, { web: false, worker: false, logger: opts.logger ?? createLogger(config.logLevel) });
}

export function createHandoff(options: HandoffOptions = {}): Handoff {
  let shared: Shared | undefined;
  let fallbackLogger: Logger | undefined;
  const startFailureLog = (): Logger => options.logger ?? (fallbackLogger ??= createLogger('error'));
  const slot = (): Shared => {
    if (shared) return shared;
    const key = keyOf(options.env ?? process.env, options.allowEmbedded ?? false);
    const reg = registry();
    shared = reg.get(key) ?? { runtime: undefined };
    reg.set(key, shared);
    return shared;
  };
  const runtime = (): Promise<Runtime> => {
    const s = slot();
    if (!s.runtime) {
      const p = Promise.resolve().then(() => start(loadConfig(options.env ?? process.env), options));
      s.runtime = p;
      // A failed start is not cached: the next request tries again (the database may be back).
      p.catch(() => {
        if (s.runtime === p) s.runtime = undefined;
      });
    }
    return s.runtime;
  };

  const fetch = async (request: Request): Promise<Response> => {
    let rt: Runtime;
    try {
      rt = await runtime();
    } catch (err) {
      // The reason goes to the server log only (it names configuration); the caller learns to retry.
      startFailureLog().error({ err: err instanceof Error ? err.message : String(err) }, 'Handoff could not start');
      return Response.json({ error: 'unavailable', message: 'Handoff is not running; the server log says why' }, { status: 503, headers: { 'retry-after': '5' } });
    }
    return rt.app.fetch(request);
  };

  const pass = async (rt: Runtime, maxMs: number): Promise<DueJobsReport> => {
    const started = Date.now();
    const dispatcher = createDispatcher(rt.config, { db: rt.db, connectors: rt.connectors, logger: rt.logger, metrics: rt.metrics, ids: systemIds });
    const backlog = async () => {
      const { rows } = await rt.db.query<{ due: number; running: number }>(sql.summarizeBacklog);
      return { due: rows[0]?.due ?? 0, running: rows[0]?.running ?? 0 };
    };
    await dispatcher.start();
    let left = await backlog();
    try {
      const every = Math.max(20, Math.min(250, rt.config.dispatcher.pollMs));
      while (Date.now() - started < maxMs && (left.due > 0 || left.running > 0)) {
        await new Promise((r) => setTimeout(r, every));
        left = await backlog();
      }
    } finally {
      await dispatcher.stop(); // waits for in-flight jobs and records them
    }
    left = await backlog();
    return { drained: left.due === 0 && left.running === 0, ...left, elapsedMs: Date.now() - started };
  };

  return {
    fetch,
    ready: async () => {
      await runtime();
    },
    runDueJobs: async (opts = {}) => {
      const maxMs = opts.maxMs ?? 10_000;
      if (!Number.isFinite(maxMs) || maxMs < 0) throw new RangeError(`maxMs must be a non-negative number of milliseconds (got ${maxMs})`);
      const rt = await runtime();
      const s = slot();
      if (!s.pass) {
        const p = pass(rt, maxMs);
        s.pass = p;
        void p.then(
          () => (s.pass = undefined),
          () => (s.pass = undefined),
        );
      }
      return s.pass;
    },
    close: async () => {
      const s = slot();
      const p = s.runtime;
      s.runtime = undefined;
      await s.pass?.catch(() => undefined);
      const rt = await p?.catch(() => undefined);
      await rt?.close();
    },
  };
}
