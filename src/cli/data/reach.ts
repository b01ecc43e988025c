import { existsSync } from 'node:fs';
import type { AppConfig } from '../../config/index.js';
import { openPglite, openPostgres, pendingMigrations, type Database } from '../../db/index.js';
import { DatabaseInUseError } from '../../db/dir-lock.js';
import { CliError, DataAccessError, UsageError } from '../errors.js';
import { probeHandoff } from './api.js';

export interface ReachOptions {
  /** A server named by the user (--url, else HANDOFF_URL): always used through its admin API. */
  url?: string;
  /** Where to look for a local server when none was named (default http://127.0.0.1:$PORT). */
  localUrl?: string;
  /** The doctor reports pending migrations itself; every other command refuses to run on an old schema. */
  allowPendingMigrations?: boolean;
  /** PostgreSQL pool size for this command (default 2). */
  poolMax?: number;
}

/** Where a command's data lives: a server's admin API, or a database this process opened (and must close). */
export type DataTarget = { kind: 'api'; base: string } | { kind: 'direct'; db: Database };

/**
 * THE choice every data command makes:
 *   1. a server named by --url / HANDOFF_URL → its admin API;
 *   2. DATABASE_URL (PostgreSQL, shared by any number of processes) → the database directly;
 *   3. embedded PGlite: a Handoff server answering locally owns it → its admin API; otherwise the
 *      command opens the data directory itself (taking its lock).
 * When none works, a DataAccessError says exactly what failed and how to fix it. A database that is
 * reached but not migrated is refused (closed again) unless `allowPendingMigrations`.
 */
export async function reachData(config: AppConfig, opts: ReachOptions = {}): Promise<DataTarget> {
  if (opts.url) return { kind: 'api', base: checkUrl(opts.url) };
  if (config.database.kind === 'postgres') {
    const db = await openPostgres(config.database.url, { max: opts.poolMax ?? 2 });
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw new DataAccessError(
        `cannot reach ${db.describe} (${(err as Error).message})`,
        'check DATABASE_URL and that PostgreSQL is running and accepts connections from here',
        err,
      );
    }
    return ready(db, opts);
  }

  const localUrl = opts.localUrl ?? `http://${loopback(config.host)}:${config.port}`;
  const probe = await probeHandoff(localUrl);
  if (probe.ok) return { kind: 'api', base: localUrl };

  const dir = config.database.dataDir;
  const noServer = `no Handoff server answered at ${localUrl} (${probe.reason})`;
  if (!existsSync(dir)) {
    throw new DataAccessError(
      `${noServer}, and there is no embedded database at ${dir}`,
      'start Handoff (npx handoff start), or set HANDOFF_URL to a running server, or DATABASE_URL to use PostgreSQL (HANDOFF_DATA_DIR names the embedded database folder)',
    );
  }
  let db: Database;
  try {
    db = await openPglite(dir);
  } catch (err) {
    if (err instanceof DatabaseInUseError) {
      const owner = err.pid === undefined ? 'another process' : `process ${err.pid}`;
      throw new DataAccessError(
        `the embedded database at ${dir} is in use by ${owner}, and ${noServer}`,
        `embedded PGlite belongs to the process that opened it, so this command must go through that server's admin API: ` +
          `set HANDOFF_URL to its address and HANDOFF_ADMIN_TOKEN to its admin token. If ${owner} serves no HTTP (handoff worker), ` +
          `stop it while you run this command, or set DATABASE_URL to use PostgreSQL, which any number of processes can share`,
        err,
      );
    }
    throw new DataAccessError(`cannot open the embedded database at ${dir} (${(err as Error).message})`, "check HANDOFF_DATA_DIR and the folder's permissions", err);
  }
  return ready(db, opts);
}

async function ready(db: Database, opts: ReachOptions): Promise<DataTarget> {
  if (!opts.allowPendingMigrations) {
    const pending = await pendingMigrations(db).catch(async (err: unknown) => {
      await db.close().catch(() => undefined);
      throw err;
    });
    if (pending.length) {
      await db.close().catch(() => undefined);
      throw new CliError(`${db.describe} is not migrated: pending migrations ${pending.join(', ')}`, { fix: 'run "handoff migrate" (or start Handoff, which migrates at start-up)' });
    }
  }
  return { kind: 'direct', db };
}

function checkUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(raw.slice(0, 200))} (expected http://host:port or https://host)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`the server URL must start with http:// or https://, got ${u.protocol}`);
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/** The address to reach a server bound to `host` from this machine. */
function loopback(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
