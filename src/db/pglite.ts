import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult, Tx } from './types.js';

/**
 * Embedded PostgreSQL (WASM). ONE connection: the process that opens the data dir owns it, and
 * transactions are serialised. Never hold a transaction across network I/O here; it stalls everything.
 * `dataDir` undefined = in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = new PGlite(dataDir);
  await pg.waitReady;
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
    close: () => pg.close(),
  };
}
