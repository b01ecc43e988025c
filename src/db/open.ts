import type { AppConfig } from '../config/index.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Database } from './types.js';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else embedded PGlite. */
export function openDatabase(config: Pick<AppConfig, 'database'>, onError?: (err: Error) => void): Promise<Database> {
  return config.database.kind === 'postgres'
    ? openPostgres(config.database.url, { onError })
    : openPglite(config.database.dataDir);
}
