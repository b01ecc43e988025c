import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { migrate, openPglite, openPostgres, type Database } from '../../src/db/index.js';

/** Every database test runs against BOTH engines. */
export const DB_KINDS = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DB_KINDS)[number];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDb {
  db: Database;
  kind: DbKind;
  /** For PostgreSQL: a URL to this file's own database (for child processes). */
  url?: string;
  drop(): Promise<void>;
}

/**
 * An isolated, migrated database for one test file: PGlite in memory, or a fresh PostgreSQL database
 * created on the test server and dropped afterwards.
 */
export async function createTestDb(kind: DbKind): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return { db, kind, drop: () => db.close() };
  }
  const name = `handoff_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openPostgres(url);
  await migrate(db);
  return {
    db,
    kind,
    url,
    async drop() {
      await db.close();
      const a = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Empties every data table (between tests of one file); schema and migrations stay. */
export async function truncateAll(db: Database): Promise<void> {
  // Every table but the migration ledger, so a table added by a later migration is never forgotten.
  const { rows } = await db.query<{ list: string | null }>(
    `SELECT string_agg(quote_ident(tablename), ', ') AS list FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
  );
  if (!rows[0]?.list) return;
  // A worker still running in the same file (claims, alert evaluation, the reconcile schedule) holds row locks on
  // some of these tables, so TRUNCATE's ACCESS EXCLUSIVE locks, taken one table at a time, can close a cycle with it.
  // PostgreSQL then aborts one side with 40P01; when that side is the TRUNCATE, take the locks again.
  for (let attempt = 1; ; attempt++) {
    try {
      await db.exec(`TRUNCATE ${rows[0].list} RESTART IDENTITY CASCADE`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
    }
  }
}

/**
 * The calling describe block's own database: created before its first test, dropped after its last, and with
 * `{ emptyEach: true }` emptied before each test. Call it first in the block: vitest runs before-hooks in the order
 * they were registered and after-hooks in reverse (sequence.hooks "stack"), so the block's own beforeAll and beforeEach
 * see the database and its afterAll (an app, a server) ends before the database is dropped.
 * The handle works inside the block's hooks and tests only; before beforeAll or after afterAll it throws.
 */
export function useTestDb(kind: DbKind, opts: { emptyEach?: boolean } = {}): TestDb {
  let current: TestDb | undefined;
  const open = (): TestDb => {
    if (!current) throw new Error(`useTestDb(${kind}): the database exists only inside its describe block's hooks and tests`);
    return current;
  };
  const drop = async () => {
    const t = current;
    current = undefined;
    await t?.drop();
  };
  beforeAll(async () => {
    current = await createTestDb(kind);
  });
  afterAll(drop);
  if (opts.emptyEach) beforeEach(() => truncateAll(open().db));
  return {
    kind,
    get db() {
      return open().db;
    },
    get url() {
      return open().url;
    },
    drop,
  };
}
