import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { databaseUnavailable } from '../../src/errors.js';
import { startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';

describe('databaseUnavailable', () => {
  it('recognises lost and refused connections, not statement errors', () => {
    expect(databaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(databaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(databaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('the database system is starting up'), { code: '57P03' }) }))).toBe(true);
    expect(databaseUnavailable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(databaseUnavailable(new Error('boom'))).toBe(false);
  });
});

/**
 * PostgreSQL only (PGlite lives in the process). While the database cannot be reached, a webhook is answered
 * 503 with Retry-After — nothing was recorded and the sender must retry — instead of a 500; once it is back,
 * the same delivery is accepted.
 */
describe('PostgreSQL unreachable: webhooks answer 503 + Retry-After, then recover', () => {
  const t = useTestDb('postgres');
  let rt: TestApp;
  let proxy: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  const target = () => new URL(t.url!);

  const listen = (p: number) =>
    new Promise<void>((resolve) => {
      proxy = createServer((client) => {
        const server = connect(Number(target().port || 5432), target().hostname);
        for (const s of [client, server]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(server).pipe(client);
      });
      proxy.listen(p, '127.0.0.1', () => {
        port = (proxy.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    for (const s of sockets) s.destroy();
  };

  beforeAll(async () => {
    await listen(0);
    const u = target();
    u.port = String(port);
    const db = await openPostgres(u.toString(), { max: 2 });
    rt = await startTestApp({ ...t, db }, { web: false, worker: false });
  });
  afterAll(async () => {
    await rt?.close();
    proxy?.close();
    for (const s of sockets) s.destroy();
  });

  it('503 with Retry-After while down, 200 for the same delivery once it is back', async () => {
    const event = stripeEvent('invoice.payment_failed', 'invoice', {}, { id: 'evt_db_down_1' });
    await cut();
    const down = await rt.app.request('/api/webhooks/stripe', stripeRequest(event));
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(((await down.json()) as { error: string }).error).toBe('unavailable');

    await listen(port);
    const back = await rt.app.request('/api/webhooks/stripe', stripeRequest(event));
    expect(back.status).toBe(200);
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM inbox_events WHERE event_id = 'evt_db_down_1'`);
    expect(rows[0]!.n).toBe(1);
  });
});
