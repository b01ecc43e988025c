import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { acquireLock, releaseLock } from './dir-lock.js';
import type { Database, Queryable, QueryResult, Tx } from './types.js';

export { DatabaseInUseError, LOCK_FILE } from './dir-lock.js';

/**
 * Embedded PostgreSQL (WASM). ONE connection: the process that opens the data dir owns it, and
 * transactions are serialised. Never hold a transaction across network I/O here; it stalls everything.
 * With a data dir, the process takes `<dataDir>/handoff.lock` first: a second process fails fast
 * instead of working on its own copy and losing writes. `dataDir` undefined = in memory (tests), no lock.
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  let lockPath: string | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lockPath = await acquireLock(dataDir);
  }
  let pg: PGlite;
  try {
    pg = new PGlite(dataDir);
    await pg.waitReady;
  } catch (err) {
    if (lockPath) releaseLock(lockPath);
    throw err;
  }
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    async query<T>(text: string, params?: unknown[]): Promise<QueryResult<T>> {
      const r = await q.query<T>(text, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  return {
    kind: 'pglite',
    describe: dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite (in memory)',
    ...wrap(pg),
    transaction: (fn) =>
      pg.transaction((tx) => {
        const t: Tx = { ...wrap(tx), exec: async (sql) => void (await tx.exec(sql)) };
        return fn(t);
      }),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    listen: async (channel, cb) => {
      const unsub = await pg.listen(channel, () => cb());
      return async () => {
        await unsub();
      };
    },
    close: async () => {
      try {
        await pg.close();
      } finally {
        if (lockPath) releaseLock(lockPath);
      }
    },
  };
}
