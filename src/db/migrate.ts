import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './types.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary constant shared by every Handoff process: only one migrates at a time. */
const MIGRATION_LOCK_KEY = 7_246_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered, append-only migrations: `NNNN_name.sql`. */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: readFileSync(dir + f, 'utf8') }));
}

/**
 * Applies pending migrations in ONE transaction under a transaction-level advisory lock, so any number
 * of processes may start at once: the first migrates, the others wait and then find nothing to do.
 * Returns the versions applied.
 */
export async function migrate(db: Database, migrations = listMigrations()): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`).catch(async (err) => {
    // Two processes racing CREATE TABLE IF NOT EXISTS can collide on the catalog; the loser re-checks.
    const { rows } = await db.query(`SELECT to_regclass('schema_migrations') AS t`);
    if (!rows[0]?.t) throw err;
  });
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Versions known to this build but not applied in the database (empty = current). */
export async function pendingMigrations(db: Database, migrations = listMigrations()): Promise<number[]> {
  const { rows } = await db.query<{ version: number }>(
    `SELECT version FROM schema_migrations`,
  ).catch(() => ({ rows: [] as { version: number }[] }));
  const done = new Set(rows.map((r) => Number(r.version)));
  return migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
}
