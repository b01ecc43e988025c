import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/index.js';
import { useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

/**
 * PostgreSQL only: PGlite runs inside the process and has no session to lose.
 * A transaction's session ended by the server between two statements (pg_terminate_backend, a restart)
 * must fail that transaction, not the process (an unhandled 'error' event on the checked-out client
 * used to end it), and the pool must go on with fresh connections.
 */
describe('PostgreSQL: a transaction whose session is ended between statements', () => {
  const t = useTestDb('postgres');
  let db: Database;
  const errors: string[] = [];
  beforeAll(async () => {
    db = await openPostgres(t.url!, { max: 2, onError: (err) => errors.push(err.message) });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('rejects the transaction, reports the error, and the next ones work', async () => {
    const attempt = db.transaction(async (tx) => {
      await tx.query('CREATE TEMP TABLE lost_probe (n integer)');
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
      await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // The server's FATAL arrives while no statement of ours is running.
      await waitUntil(async () => errors.length > 0, 5000, 'the session loss to be reported');
      await tx.query('INSERT INTO lost_probe VALUES (1)', []);
    });
    await expect(attempt).rejects.toThrow();
    expect(errors[0]).toMatch(/terminat/i);

    // Both pool slots serve again (the lost client was destroyed, not returned).
    const results = await Promise.all([1, 2, 3].map((n) => db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT $1::integer AS n', [n])).rows[0]!.n)));
    expect(results).toEqual([1, 2, 3]);
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('fails the next transaction, not the process, when the session ends in the same read as the hand-over', async () => {
    // A proxy that can hold the server's bytes and deliver them in ONE write: the reply that finishes the
    // pool's current query and the FATAL that ends the session then reach the driver in one socket read,
    // and the waiting transaction is handed the client in between.
    let hold = false;
    const held: Buffer[] = [];
    const sockets: Socket[] = [];
    let down: Socket | undefined;
    const target = new URL(t.url!);
    const proxy: Server = createServer((client) => {
      const server = connect(Number(target.port || 5432), target.hostname);
      sockets.push(client, server);
      down = client;
      client.pipe(server);
      server.on('data', (d: Buffer) => (hold ? held.push(d) : client.write(d)));
      server.on('end', () => (hold ? undefined : client.end()));
      client.on('error', () => undefined);
      server.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const u = new URL(t.url!);
    u.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    u.searchParams.set('application_name', 'handoff-lost-probe');
    const errs: string[] = [];
    const one = await openPostgres(u.toString(), { max: 1, onError: (err) => errs.push(err.message) });
    try {
      await one.query('SELECT 1');
      const { rows } = await t.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'handoff-lost-probe'`);
      hold = true;
      const first = one.query<{ one: number }>('SELECT 1 AS one');
      const waiting = one.transaction(async (tx) => tx.query('SELECT 2 AS two'));
      await waitUntil(async () => held.length > 0, 5000, 'the reply to be held');
      await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((r) => setTimeout(r, 300)); // the FATAL is held too
      hold = false;
      down!.write(Buffer.concat(held.splice(0)));
      expect((await first).rows).toEqual([{ one: 1 }]);
      await expect(waiting).rejects.toThrow();
      expect(errs.join(' ')).toMatch(/terminat/i);
      // The pool goes on with a new session.
      expect((await one.query<{ n: number }>('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
    } finally {
      await one.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});
