import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { acquireLock, releaseLock } from './dir-lock.js';
import type { Database, Queryable, QueryResult, Tx } from './types.js';
import { statementName } from './statement-name.js';
import { literal } from './literal.js';
import { localWaker } from './notify.js';
import { pgliteTemplate, seedDataDir } from './pglite-template.js';

export { DatabaseInUseError, LOCK_FILE } from './dir-lock.js';

/**
 * PGlite's buffer cache. PostgreSQL's default (128MB) is allocated and touched at start-up inside the WASM
 * memory, so it is resident from the first second; 32MB holds the working set of a single-process install
 * (hot customers, identities, the outbox head) and pages beyond it come from the OS page cache.
 * Not smaller: with 8MB the PGlite ingest benchmark's server spent 3,560-3,865 µs of CPU per event at c=64 in three of
 * four runs against 2,280-2,495 with 32MB in the runs between them (likely the misses: each one a read through
 * PGlite's file system layer, in JavaScript), for a peak RSS of 248-284 MB against 268-321: less, inside the spread.
 */
const SHARED_BUFFERS = '32MB';

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
    // A new data dir starts as a copy of the build's template (see pglite-template.ts) instead of an in-process
    // initdb. In memory (tests) the template saves nothing measurable, so initdb runs there.
    const template = dataDir && !existsSync(path.join(dataDir, 'PG_VERSION')) ? pgliteTemplate() : undefined;
    if (dataDir && template) seedDataDir(template, dataDir);
    pg = new PGlite(dataDir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`] });
    await pg.waitReady;
  } catch (err) {
    if (lockPath) releaseLock(lockPath);
    throw err;
  }
  // PGlite parses and plans every parameterised statement again on each call (unnamed statements, no plan
  // cache), and runs the extended protocol as six separate calls into the WASM engine. So each parameterised
  // statement is PREPAREd once on this one session (named by its text's hash) and then run as ONE simple-protocol
  // `EXECUTE name(<literals>)`: the server keeps the parse tree and plan cache, and a call is one round trip.
  // Values become escaped E'' literals of their text form (`literal` below), which PostgreSQL coerces to the
  // prepared parameter types exactly as it would a bound text parameter. Prepared statements are per session
  // and not transactional (a rolled-back transaction keeps them); a schema change makes PostgreSQL re-plan.
  // PREPAREs run OUTSIDE transactions only, one per name at a time: a transaction holds PGlite's only
  // session, so it must never wait for a PREPARE queued behind it (deadlock), and a PREPARE that fails inside
  // it ("already exists" when two callers race) would abort it. Inside a transaction, a statement not yet
  // prepared runs unprepared (bound parameters) and its PREPARE is queued for after the transaction.
  // A PREPARE losing a race to another (SQLSTATE 42P05) counts as prepared; any other failure is forgotten.
  const prepared = new Set<string>();
  const preparing = new Map<string, Promise<boolean>>();
  const prepare = (name: string, text: string): Promise<boolean> => {
    let p = preparing.get(name);
    if (!p) {
      p = Promise.resolve()
        .then(() => pg.exec(`PREPARE ${name} AS ${text}`))
        .then(
          () => true,
          (err: unknown) => (err as { code?: string }).code === '42P05',
        )
        .then((ok) => {
          preparing.delete(name);
          if (ok) prepared.add(name);
          return ok;
        });
      preparing.set(name, p);
    }
    return p;
  };
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }, inTransaction: boolean): Queryable => ({
    async query<T>(text: string, params?: unknown[]): Promise<QueryResult<T>> {
      if (!params || params.length === 0) {
        const r = await q.query<T>(text);
        return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      }
      const values = params.map(literal);
      const name = statementName(text);
      // A NUL cannot travel in a simple-protocol query; bound, PostgreSQL rejects it with its own error.
      const ready = !values.some((v) => v.includes('\0')) && (prepared.has(name) || (!inTransaction && (await prepare(name, text))));
      if (!ready) {
        if (inTransaction && !preparing.has(name) && !prepared.has(name)) void prepare(name, text);
        const r = await q.query<T>(text, params);
        return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      }
      const results = await q.exec(`EXECUTE ${name}(${values.join(', ')})`);
      const r = results[results.length - 1]!;
      return { rows: r.rows as T[], rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const local = localWaker();
  return {
    kind: 'pglite',
    describe: dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite (in memory)',
    ...wrap(pg, false),
    transaction: async (fn) => {
      const wakeAfter = new Set<string>();
      const out = await pg.transaction((tx) => {
        // `final` changes nothing here (PGlite commits after fn), but its contract holds on both engines.
        const inner = wrap(tx, true);
        let ended = false;
        const t: Tx = {
          query: (text, params, opts) => {
            if (ended) return Promise.reject(new Error('this transaction already committed with its final statement'));
            if (opts?.final) ended = true;
            return inner.query(text, params);
          },
          exec: async (sql) => void (await tx.exec(sql)),
          notifyAfterCommit: (channel) => void wakeAfter.add(channel),
        };
        return fn(t);
      });
      for (const channel of wakeAfter) local.wake(channel);
      return out;
    },
    exec: async (sql) => {
      await pg.exec(sql);
    },
    listen: async (channel, cb) => {
      const unsub = await pg.listen(channel, () => cb());
      const removeLocal = local.add(channel, cb);
      return async () => {
        removeLocal();
        await unsub();
      };
    },
    // One process owns a PGlite data dir (dir-lock.ts), so every listener is in this process: wake them directly.
    notify: (channel) => local.wake(channel),
    close: async () => {
      try {
        await pg.close();
      } finally {
        if (lockPath) releaseLock(lockPath);
      }
    },
  };
}
