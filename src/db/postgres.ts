import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable, QueryResult, Tx } from './types.js';

// int8 (bigint ids, counts) as JS numbers, matching PGlite; ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const names = new Map<string, string>();
function statementName(text: string): string {
  let n = names.get(text);
  if (!n) {
    n = `h_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, n);
  }
  return n;
}

/**
 * PostgreSQL through a `pg` pool. Any number of processes may share the database.
 * Connection errors on idle clients are logged by the pool owner and the client is discarded;
 * the pool reconnects on the next query.
 */
export async function openPostgres(url: string, opts: { max?: number; onError?: (err: Error) => void } = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  pool.on('error', (err) => opts.onError?.(err));
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(text: string, params?: unknown[]): Promise<QueryResult<T>> {
      // Parameterised statements are prepared once per connection (named by their text's hash),
      // so hot statements skip parse and plan after first use.
      const r = params ? await c.query({ name: statementName(text), text, values: params }) : await c.query(text);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
  });
  let listener: pg.Client | undefined;
  const u = new URL(url);
  return {
    kind: 'postgres',
    describe: `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`,
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Tx = { ...wrap(client), exec: async (sql) => void (await client.query(sql)) };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    async listen(channel, cb) {
      // A dedicated connection; if it drops, polling still finds work and the hint is simply lost.
      listener = new pg.Client({ connectionString: url });
      listener.on('error', (err) => opts.onError?.(err));
      listener.on('notification', (n) => {
        if (n.channel === channel) cb();
      });
      await listener.connect();
      await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      const client = listener;
      return async () => {
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
