import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describePostgres, openPostgres } from '../../src/db/postgres.js';
import { useTestDb } from '../support/db.js';

/** PostgreSQL's default Unix socket directory on Debian (the server CI runs against listens there too). */
const SOCKET_DIR = '/var/run/postgresql';

describe('DATABASE_URL forms', () => {
  it('names host, port and database in messages, never the user or password', () => {
    expect(describePostgres('postgres://handoff:s3cret@db.internal:6543/app')).toBe('PostgreSQL at db.internal:6543/app');
    expect(describePostgres('postgresql://handoff:s3cret@db.internal/app')).toBe('PostgreSQL at db.internal:5432/app');
    expect(describePostgres('postgres:///app?host=/var/run/postgresql&user=handoff')).toBe('PostgreSQL at /var/run/postgresql/app');
    expect(describePostgres('postgres://handoff:s3cret@/app?host=/run/pg')).toBe('PostgreSQL at /run/pg/app');
    expect(describePostgres('postgres://handoff:s3cret@[::1/app')).toBe('PostgreSQL (DATABASE_URL is not a URL)');
  });

  describe.skipIf(!existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`))('a Unix socket (postgres:///db?host=/var/run/postgresql)', () => {
    const t = useTestDb('postgres');

    it('opens, runs statements and transactions through the socket', async () => {
      const u = new URL(t.url!);
      const db = await openPostgres(`postgres://${u.pathname}?host=${SOCKET_DIR}&user=${decodeURIComponent(u.username) || 'postgres'}`, { max: 2 });
      try {
        expect(db.describe).toBe(`PostgreSQL at ${SOCKET_DIR}${u.pathname}`);
        const { rows } = await db.query<{ local: boolean }>('SELECT inet_client_addr() IS NULL AS local', []);
        expect(rows).toEqual([{ local: true }]); // no client address: not TCP
        expect(await db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT $1::integer AS n', [7])).rows[0]!.n)).toBe(7);
      } finally {
        await db.close();
      }
    });
  });
});
