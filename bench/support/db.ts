// A fresh database for one benchmark server: PGlite in a temporary data dir (as production runs it: on disk,
// owned by one process) or a new PostgreSQL database on the test server (TEST_DATABASE_URL), dropped after.
// Migrations are applied by the server at start-up; `open()` (for baselines and checks) migrates too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openPglite, openPostgres, type Database } from '../../src/db/index.js';
import { TEST_DATABASE_URL, type DbKind } from '../../test/support/db.js';

export interface BenchDb {
  kind: DbKind;
  /** Env for a Handoff server on this database (DATABASE_URL or HANDOFF_DATA_DIR). */
  env: Record<string, string>;
  /** PostgreSQL URL of this database (undefined for PGlite). */
  url?: string;
  /** PGlite data dir (undefined for PostgreSQL). */
  dataDir?: string;
  /** Opens and migrates it in this process. PGlite: only while no server holds the data dir. */
  open(opts?: { max?: number }): Promise<Database>;
  /** Removes the data dir / drops the database. */
  drop(): Promise<void>;
}

export const DB_LABEL: Record<DbKind, string> = { pglite: 'PGlite', postgres: 'PostgreSQL' };

export async function benchDb(kind: DbKind): Promise<BenchDb> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-bench-'));
    return {
      kind,
      dataDir,
      env: { HANDOFF_DATA_DIR: dataDir },
      async open() {
        const db = await openPglite(dataDir);
        await migrate(db);
        return db;
      },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `handoff_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    kind,
    url,
    env: { DATABASE_URL: url },
    async open(opts) {
      const db = await openPostgres(url, { max: opts?.max });
      await migrate(db);
      return db;
    },
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** The server's version string (`SHOW server_version`) of either engine. */
export async function serverVersion(db: Database): Promise<string> {
  const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
  return rows[0]?.server_version ?? 'unknown';
}
