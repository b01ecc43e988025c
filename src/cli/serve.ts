import { systemIds } from '../clock.js';
import { loadConfig } from '../config/index.js';
import { compilePgliteOptimized } from '../db/pglite-wasm.js';
import { StartupError } from '../errors.js';
import { createLogger, exitAfterLogs } from '../monitor/index.js';
import { startRuntime } from '../runtime.js';
import { configuredConnectors, startSandbox, type Sandbox } from '../sandbox/index.js';
import { withDevSecrets } from './dev-secrets.js';

/**
 * `handoff start | web | worker`: runs the chosen roles until SIGTERM/SIGINT, then shuts down gracefully.
 * Sandbox (start only): 'on' = --sandbox; 'auto' = on when nothing is configured outside production.
 */
export async function serveCommand(roles: { web: boolean; worker: boolean }, opts: { sandbox?: 'on' | 'off' | 'auto' } = {}): Promise<void> {
  const print = (s: string) => process.stdout.write(`${s}\n`);
  const base = loadConfig(); // every configuration problem is reported before anything starts
  const mode = opts.sandbox ?? 'off';
  if (mode === 'on' && base.env === 'production') throw new StartupError('--sandbox is refused when NODE_ENV=production: production talks to real providers only');
  const useSandbox = base.env !== 'production' && (mode === 'on' || (mode === 'auto' && configuredConnectors(process.env).size === 0));
  const sandbox: Sandbox | undefined = useSandbox ? await startSandbox(process.env) : undefined;
  const logger = createLogger(base.logLevel);
  const config = withDevSecrets(sandbox ? loadConfig({ ...process.env, ...sandbox.env }) : base, systemIds, print);
  if (config.database.kind === 'pglite') {
    compilePgliteOptimized(); // a server runs for days: less memory and CPU for ~1 s more start-up
    if (config.env === 'production') {
      logger.warn('embedded PGlite in production: one process only, no replication or point-in-time recovery, and commits are never flushed to disk (a power loss can lose the last seconds); set DATABASE_URL for PostgreSQL');
    }
  }
  const rt = await startRuntime(config, { ...roles, logger }).catch(async (err) => {
    await sandbox?.close();
    throw err;
  });
  if (sandbox && rt.url) sandbox.connect(rt.url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://127.0.0.1:'));
  const connectors = [config.hubspot && 'hubspot', config.zendesk && 'zendesk', config.slack && 'slack', config.email && 'email', config.outbound && 'webhook'].filter(
    (c): c is string => typeof c === 'string',
  );
  print(`Handoff ${roles.web && roles.worker ? 'web + dispatcher' : roles.web ? 'web' : 'dispatcher'} (${config.env})`);
  if (rt.url) print(`  listening on  ${rt.url.replace('://0.0.0.0:', '://localhost:').replace('://[::]:', '://localhost:')}${/0\.0\.0\.0|\[::\]/.test(rt.url) ? ' (all interfaces)' : ''}`);
  print(`  database      ${rt.db.describe}`);
  print(`  connectors    ${connectors.length ? `${connectors.join(', ')}${sandbox ? ' (sandbox where not configured)' : ''}` : 'none (effects are recorded as skipped)'}`);
  print(`  stripe        ${config.stripe.webhookSecrets.length ? `${config.stripe.webhookSecrets.length} webhook secret(s)` : 'not configured (STRIPE_WEBHOOK_SECRET)'}`);
  print(`  clerk         ${config.clerk.webhookSecret ? 'configured' : 'not configured (CLERK_WEBHOOK_SECRET)'}`);
  if (!config.bootstrapApiKey) print('  app API key   none: set HANDOFF_API_KEY so your app can send events');
  if (sandbox) {
    print('  sandbox       these connectors talk to local emulators; read what they would have sent at:');
    for (const p of sandbox.providers) print(`                  ${p.label.padEnd(17)} ${p.inspect}`);
    print('                (configure a connector\'s variables to use the real provider; see README "Sandbox")');
  }
  logger.info({ url: rt.url, database: rt.db.kind, connectors, roles }, 'started');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      exitAfterLogs(1);
    }, 30_000);
    force.unref();
    rt.close().then(() => sandbox?.close()).then(
      () => {
        logger.info('stopped');
        exitAfterLogs(0);
      },
      (err) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        exitAfterLogs(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
