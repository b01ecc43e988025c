import { randomBytes } from 'node:crypto';
import { listMigrations, sql, type Database, type Tx } from '../db/index.js';

/** rehearse_<yyyymmddhhmmss>_<hex>: generated here only, so it is safe to splice into DDL. */
const SCHEMA_NAME = /^rehearse_(\d{14})_[0-9a-f]+$/;
/** A scratch schema older than this belongs to a rehearsal that died without cleaning up. */
export const STALE_SCRATCH_MS = 24 * 60 * 60 * 1000;

export function scratchName(now: Date): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return `rehearse_${stamp}_${randomBytes(6).toString('hex')}`;
}

function checked(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a rehearsal schema name: ${schema}`);
  return `"${schema}"`;
}

/**
 * Runs fn in ONE transaction whose unqualified names resolve ONLY in the scratch schema (`SET LOCAL`, so
 * the pooled connection or PGlite's one connection is back on the normal search_path at commit or
 * rollback). A table the migrations did not create there is an error, never a silent write to reality.
 */
export function inScratch<T>(db: Database, schema: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL search_path TO ${checked(schema)}`);
    return fn(tx);
  });
}

/**
 * Creates the scratch schema with every migration applied (the same files as `handoff migrate`; they
 * name no schema, so they land where search_path points). One transaction: a failure leaves nothing.
 */
export async function createScratch(db: Database, schema: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA ${checked(schema)}`);
    await tx.query(`SET LOCAL search_path TO ${checked(schema)}`);
    for (const m of listMigrations()) await tx.exec(m.sql);
  });
}

export async function dropScratch(db: Database, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${checked(schema)} CASCADE`);
}

/** Drops scratch schemas older than STALE_SCRATCH_MS (a killed process could not drop its own). */
export async function dropStaleScratch(db: Database, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(sql.listRehearsalSchemas);
  const stale = rows
    .map((r) => r.name)
    .filter((name) => {
      const stamp = SCHEMA_NAME.exec(name)?.[1];
      if (!stamp) return false;
      const at = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14));
      return now.getTime() - at > STALE_SCRATCH_MS;
    });
  for (const name of stale) await dropScratch(db, name);
  return stale;
}
