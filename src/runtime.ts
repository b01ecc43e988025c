import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { systemClock, systemIds, type Clock, type Ids } from './clock.js';
import type { AppConfig } from './config/index.js';
import { StartupError } from './errors.js';
import { createConnectors } from './connectors/index.js';
import { migrate, openDatabase, sql, type Database } from './db/index.js';
import { startMaintenance } from './db/maintenance.js';
import { connectorFingerprints, Dispatcher } from './dispatcher/index.js';
import { createApp } from './http/index.js';
import { ALL_SCOPES, displayPrefix, hashApiKey } from './ingest/index.js';
import { createAlerting, createLogger, createMetrics, type Logger, type Metrics } from './monitor/index.js';
import { createReconcileSchedule, providerReaders } from './reconcile/index.js';

export interface RuntimeOptions {
  web: boolean;
  worker: boolean;
  clock?: Clock;
  ids?: Ids;
  logger?: Logger;
  /** An already-open database (tests); otherwise opened from config. */
  db?: Database;
}

export interface Runtime {
  config: AppConfig;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  app: ReturnType<typeof createApp>;
  /** The configured connectors (what a dispatcher started later, e.g. createDispatcher, runs jobs with). */
  connectors: ReturnType<typeof createConnectors>;
  dispatcher?: Dispatcher;
  /** Set when `web`: the bound address (port 0 → the OS picks). */
  url?: string;
  /** Graceful: stop accepting, finish in-flight requests and jobs, release the database. */
  close(): Promise<void>;
}

const KEEP_ALIVE_MS = 65_000;

/** Binds the HTTP server; a taken port rejects with a message that says what to do. */
function listen(fetch: Parameters<typeof serve>[0]['fetch'], port: number, hostname: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname }, () => {
      s.off('error', reject);
      resolve(s as Server);
    });
    // Idle keep-alive connections stay open 65 s (Node's default is 5 s): longer than a load balancer's or a
    // client pool's idle timeout (commonly 60 s), so a sender never writes into a socket the server is closing
    // (ECONNRESET on a webhook delivery). Header timeout must exceed it.
    (s as Server).keepAliveTimeout = KEEP_ALIVE_MS;
    (s as Server).headersTimeout = KEEP_ALIVE_MS + 1000;
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new StartupError(`port ${port} on ${hostname} is already in use: stop the other process or set PORT`, { cause: err }) : err),
    );
  });
}

/**
 * Stores the bootstrap API key's hash (scopes: all), so one lookup path serves every key, and revokes
 * any earlier bootstrap key. A key revoked by hand stays revoked even if HANDOFF_API_KEY still names it.
 */
export async function ensureBootstrapKey(db: Database, key: string, ids: Ids): Promise<void> {
  await db.query(sql.insertBootstrapKey, [ids.uuid(), 'bootstrap (HANDOFF_API_KEY)', displayPrefix(key), hashApiKey(key), [...ALL_SCOPES]]);
}

/** The outbox dispatcher for this configuration, not started (the worker role; also one pass from a cron route). */
export function createDispatcher(
  config: AppConfig,
  deps: { db: Database; connectors: ReturnType<typeof createConnectors>; logger: Logger; metrics: Metrics; ids: Ids },
): Dispatcher {
  return new Dispatcher({
    db: deps.db,
    connectors: deps.connectors,
    config: config.dispatcher,
    logger: deps.logger.child({ role: 'dispatcher' }),
    metrics: deps.metrics,
    ids: deps.ids,
    rateLimits: config.rateLimits,
    circuit: config.circuit,
    fingerprints: connectorFingerprints(config),
  });
}

/**
 * Composes Handoff: database (migrated under the advisory lock), connectors, HTTP app, dispatcher.
 * `web` and `worker` select the roles; `handoff start` runs both in one process.
 */
export async function startRuntime(config: AppConfig, opts: RuntimeOptions): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? systemIds;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = opts.db ?? (await openDatabase(config, (err) => logger.warn({ err: err.message }, 'idle database connection failed')));
  const metrics = createMetrics({ defaultMetrics: true, db, webhookWindowMs: config.alerts.webhookWindowMs });
  let connectors: ReturnType<typeof createConnectors>;
  try {
    await migrate(db);
    if (config.bootstrapApiKey) await ensureBootstrapKey(db, config.bootstrapApiKey, ids);
    // A connector may refuse its configuration here (email templates): the database is released too.
    connectors = createConnectors(config);
  } catch (err) {
    if (!opts.db) await db.close().catch(() => undefined);
    throw err;
  }

  const dispatcher = opts.worker ? createDispatcher(config, { db, connectors, logger, metrics, ids }) : undefined;
  // Alert rules run in every web and worker process: an advisory lock and a leader row let one evaluate
  // at a time, and alerting survives the loss of any one process (a dead worker must still be noticed).
  const alerting = opts.web || opts.worker ? createAlerting({ db, config, logger, metrics, ids, enabled: new Set(connectors.keys()) }) : undefined;
  // The scheduled reconcile runs in workers; a claim under an advisory lock makes one of them run it at a time.
  const reconcile =
    opts.worker && config.reconcile.intervalMs > 0
      ? createReconcileSchedule({
          db,
          config,
          readers: providerReaders(config),
          record: { clock, ids, enabledConnectors: new Set(connectors.keys()), maxAttempts: config.dispatcher.maxAttempts },
          clock,
          ids,
          intervalMs: config.reconcile.intervalMs,
          logger,
          id: `reconcile-${ids.uuid()}`,
        })
      : undefined;
  // PGlite has no autovacuum: the process that opened the data dir keeps its tables vacuumed and analysed.
  const maintenance = !opts.db && (opts.web || opts.worker) ? startMaintenance(db, { intervalMs: config.pgliteMaintenanceMs, logger }) : undefined;
  const app = createApp({
    config,
    db,
    logger,
    metrics,
    clock,
    ids,
    record: { clock, ids, enabledConnectors: new Set(connectors.keys()), maxAttempts: config.dispatcher.maxAttempts },
    dispatcherAlive: async () => {
      const { rows } = await db.query<{ n: number }>(sql.liveWorkers, ['dispatcher', Math.max(30_000, config.dispatcher.leaseMs)]);
      return (rows[0]?.n ?? 0) > 0;
    },
  });

  // Bind first: a taken port must fail start-up before any job is claimed. Anything opened before a
  // failure is closed again, so a failed start leaves no lease, listener or lock behind.
  let server: Server | undefined;
  let url: string | undefined;
  try {
    if (opts.web) {
      server = await listen(app.fetch, config.port, config.host);
      const addr = server.address() as AddressInfo;
      url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
    }
    await dispatcher?.start();
    await alerting?.start();
    await reconcile?.start();
  } catch (err) {
    server?.close();
    await dispatcher?.stop().catch(() => undefined);
    await alerting?.stop().catch(() => undefined);
    await reconcile?.stop().catch(() => undefined);
    await maintenance?.stop();
    if (!opts.db) await db.close().catch(() => undefined);
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    db,
    logger,
    metrics,
    app,
    connectors,
    dispatcher,
    url,
    close: () =>
      (closing ??= (async () => {
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeIdleConnections();
          });
        }
        await alerting?.stop();
        await reconcile?.stop();
        await dispatcher?.stop();
        await maintenance?.stop();
        if (!opts.db) await db.close();
      })()),
  };
}
