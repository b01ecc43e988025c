import { systemIds } from '../clock.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../monitor/index.js';
import { startRuntime } from '../runtime.js';
import { withDevSecrets } from './dev-secrets.js';

/** `handoff start | web | worker`: runs the chosen roles until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serveCommand(roles: { web: boolean; worker: boolean }): Promise<void> {
  const print = (s: string) => process.stdout.write(`${s}\n`);
  const base = loadConfig();
  const logger = createLogger(base.logLevel);
  const config = withDevSecrets(base, systemIds, print);
  if (config.database.kind === 'pglite' && config.env === 'production') {
    logger.warn('embedded PGlite in production: one process only, and no replication or point-in-time recovery; set DATABASE_URL for PostgreSQL');
  }
  const rt = await startRuntime(config, { ...roles, logger });
  const connectors = [config.hubspot && 'hubspot', config.slack && 'slack'].filter(Boolean);
  print(`Handoff ${roles.web && roles.worker ? 'web + dispatcher' : roles.web ? 'web' : 'dispatcher'} (${config.env})`);
  if (rt.url) print(`  listening on  ${rt.url.replace('://0.0.0.0:', '://localhost:').replace('://[::]:', '://localhost:')}${/0\.0\.0\.0|\[::\]/.test(rt.url) ? ' (all interfaces)' : ''}`);
  print(`  database      ${rt.db.describe}`);
  print(`  connectors    ${connectors.length ? connectors.join(', ') : 'none (effects are recorded as skipped)'}`);
  print(`  stripe        ${config.stripe.webhookSecrets.length ? `${config.stripe.webhookSecrets.length} webhook secret(s)` : 'not configured (STRIPE_WEBHOOK_SECRET)'}`);
  print(`  clerk         ${config.clerk.webhookSecret ? 'configured' : 'not configured (CLERK_WEBHOOK_SECRET)'}`);
  if (!config.bootstrapApiKey) print('  app API key   none: set HANDOFF_API_KEY so your app can send events');
  logger.info({ url: rt.url, database: rt.db.kind, connectors, roles }, 'started');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    rt.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
