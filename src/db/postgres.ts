import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult, Tx } from './types.js';
import { statementName } from './statement-name.js';
import { randomUUID } from 'node:crypto';
import { literal } from './literal.js';
import { coalescedNotify, localWaker } from './notify.js';

// int8 (bigint ids, counts) as JS numbers, matching PGlite; ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Cross-process wake-ups (db.notify) go out at most this often per channel: a dispatcher in another process
 * wakes up to this much later (it would otherwise find the work at its next poll, DISPATCH_POLL_MS).
 */
const NOTIFY_GAP_MS = 25;
/**
 * How long an idle pooled connection stays open. pg's default (10 s) closed the pool between a small SaaS's
 * webhooks: the next ones paid a new connection and a cold backend (its catalog caches and prepared plans), measured
 * +25–35 ms per request in a burst of 8 after 12 s idle. A minute keeps the pool warm across ordinary gaps and still
 * closes it well before the idle timeouts of common NAT gateways (350 s), which drop a connection silently.
 */
const POOL_IDLE_MS = 60_000;

/** SQL-level prepared statements (PREPARE … / EXECUTE …) per connection: they live as long as its session. */
const sqlPreparedBy = new WeakMap<object, Set<string>>();
function sqlPrepared(client: object): Set<string> {
  let set = sqlPreparedBy.get(client);
  if (!set) sqlPreparedBy.set(client, (set = new Set()));
  return set;
}

/**
 * PostgreSQL through a `pg` pool. Any number of processes may share the database.
 * Connection errors on idle clients are logged by the pool owner and the client is discarded;
 * the pool reconnects on the next query.
 */
export async function openPostgres(
  url: string,
  opts: { max?: number; onError?: (err: Error) => void; relistenMs?: number } = {},
): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, idleTimeoutMillis: POOL_IDLE_MS });
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
  let listenersStopped = false;
  // notify(): this process's listeners directly; other processes through NOTIFY, at most one per NOTIFY_GAP_MS
  // per channel. The payload names this Database, so its own listener ignores the echo.
  const origin = randomUUID();
  const local = localWaker();
  const notifier = coalescedNotify((channel) => pool.query(`SELECT pg_notify($1, $2)`, [channel, origin]), { minGapMs: NOTIFY_GAP_MS });
  const notify = (channel: string) => {
    local.wake(channel);
    notifier.notify(channel);
  };
  return {
    kind: 'postgres',
    describe: describePostgres(url),
    ...wrap(pool),
    async transaction(fn) {
      // pg-pool listens for errors on IDLE clients only. A checked-out client whose session ends between
      // two statements (pg_terminate_backend, a server restart) emits 'error' with no listener, which would
      // end the whole process. Here it marks the client lost: the transaction fails (its next statement or
      // COMMIT rejects), the client is destroyed, and the pool opens a fresh one on the next use.
      // The listener is attached in pool.connect's callback, which runs synchronously at the hand-over: the
      // promise form resumes a tick later, and the session's end can arrive in that gap (in the same
      // socket read as the previous user's last reply).
      let lost: Error | undefined;
      const onLost = (err: Error) => {
        lost ??= err;
        opts.onError?.(err);
      };
      const client = await new Promise<pg.PoolClient>((resolve, reject) =>
        pool.connect((err, c) => {
          if (err || !c) return reject(err ?? new Error('no client from the pool'));
          c.on('error', onLost);
          resolve(c);
        }),
      );
      // BEGIN travels with the transaction's first parameterised statement and COMMIT with its `final` one, in one
      // simple-protocol query each (`BEGIN; EXECUTE s_…(<literals>)`, `EXECUTE …; COMMIT`, with the same literal
      // encoding PGlite uses): a webhook's record() is two round trips instead of four (measured: −7 % wall and CPU
      // per record). The SQL-level statement is PREPAREd in the same query the first time a connection runs it; if
      // that query fails, it is deallocated after the rollback (a PREPARE outlives one), so the next use prepares
      // it again instead of failing on "already exists".
      let begun = false;
      let committed = false;
      let unsure: string | undefined; // a PREPARE sent with a statement that failed: it may or may not exist now
      const wakeAfter = new Set<string>();
      const plain = wrap(client);
      const tx: Tx = {
        async query<T>(text: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
          if (committed) throw new Error('this transaction already committed with its final statement');
          const fuse = !begun || opts?.final;
          const values = fuse && params?.length ? params.map(literal) : undefined;
          // A NUL cannot travel in a simple-protocol query: bound, PostgreSQL rejects it with its own error.
          if (!values || values.some((v) => v.includes('\0'))) {
            if (!begun) await client.query('BEGIN');
            begun = true;
            return plain.query<T>(text, params);
          }
          const name = `s${statementName(text).slice(1)}`; // SQL-level, apart from the driver's protocol-level names
          const known = sqlPrepared(client);
          const prepare = known.has(name) ? undefined : `PREPARE ${name} AS ${text.replace(/;\s*$/, '')}\n`;
          const parts = [prepare, begun ? undefined : 'BEGIN', `EXECUTE ${name}(${values.join(', ')})`, opts?.final ? 'COMMIT' : undefined].filter((x): x is string => x !== undefined);
          let results: pg.QueryResult | pg.QueryResult[];
          try {
            results = await client.query(parts.join(';\n'));
          } catch (err) {
            if (prepare) unsure = name;
            begun = true; // the BEGIN ran even when the statement after it failed: roll back
            throw err;
          }
          if (prepare) known.add(name);
          begun = true;
          if (opts?.final) committed = true;
          const r = (Array.isArray(results) ? results : [results])[parts.findIndex((x) => x.startsWith('EXECUTE'))]!;
          return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
        },
        async exec(sql) {
          if (!begun) await client.query('BEGIN');
          begun = true;
          await client.query(sql);
        },
        notifyAfterCommit: (channel) => void wakeAfter.add(channel),
      };
      try {
        const out = await fn(tx);
        if (begun && !committed) await client.query('COMMIT');
        // Committed: the result stands even if the session ended right after (its client is destroyed).
        if (!lost) client.off('error', onLost);
        client.release(lost);
        for (const channel of wakeAfter) notify(channel);
        return out;
      } catch (err) {
        // A lost client, or one where even ROLLBACK fails, is broken: destroy it instead of returning it to
        // the pool. A destroyed client keeps `onLost` (a late socket error must not go unhandled either).
        const broken =
          lost !== undefined ||
          (await client.query('ROLLBACK').then(
            () => false,
            () => true,
          ));
        // A PREPARE that may have run before its statement failed: drop it, so the next use prepares it again
        // instead of failing on "already exists" (prepared statements outlive a rollback).
        if (!broken && unsure) await client.query(`DEALLOCATE ${unsure}`).catch(() => undefined);
        if (!broken) client.off('error', onLost);
        client.release(broken ? (lost ?? (err as Error)) : undefined);
        throw err;
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    async listen(channel, cb) {
      // A dedicated connection. If it drops, it reconnects every `relistenMs`; meanwhile polling still
      // finds all work and only the early wake-up is lost.
      let stopped = false;
      const relistenMs = opts.relistenMs ?? 1000;
      const connect = async (): Promise<void> => {
        const client = new pg.Client({ connectionString: url });
        client.on('notification', (n) => {
          if (n.channel === channel && n.payload !== origin) cb();
        });
        client.on('error', (err) => opts.onError?.(err));
        client.on('end', () => {
          if (listener === client) listener = undefined;
          if (!stopped && !listenersStopped) setTimeout(() => void connect().catch(() => undefined), relistenMs).unref();
        });
        try {
          await client.connect();
          await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
          if (stopped || listenersStopped) {
            await client.end(); // closed while we were connecting: do not keep a socket alive
            return;
          }
          listener = client;
          cb(); // anything queued while we were not listening is found now, not at the next poll
        } catch (err) {
          await client.end().catch(() => undefined);
          throw err;
        }
      };
      await connect();
      const removeLocal = local.add(channel, cb);
      return async () => {
        stopped = true;
        removeLocal();
        await listener?.end().catch(() => undefined);
      };
    },
    notify,
    async close() {
      listenersStopped = true;
      await notifier.settled();
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * "PostgreSQL at host:port/db" for messages, never the user or password. A Unix socket is named by the `host`
 * parameter (postgres:///db?host=/var/run/postgresql), which has no port; the parameter wins over the URL's host,
 * as in pg.
 */
export function describePostgres(url: string): string {
  try {
    // "user@/db" (no host before the path) is valid for libpq and pg, not for URL.
    const u = new URL(url.replace(/@\//, '@localhost/'));
    const host = u.searchParams.get('host') || u.hostname || 'localhost';
    return `PostgreSQL at ${host}${host.startsWith('/') ? '' : `:${u.port || 5432}`}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a URL)';
  }
}
