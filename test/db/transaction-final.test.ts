import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';

/**
 * Transactions as record() uses them: on PostgreSQL the first statement carries BEGIN and the `final` one carries
 * COMMIT (SQL-level PREPARE/EXECUTE with literal parameters, db/postgres.ts). Same results and the same all-or-nothing
 * on both engines, whatever fails where.
 */
describe.each(DB_KINDS)('transaction with a final statement on %s', (kind) => {
  const t = useTestDb(kind);
  beforeAll(async () => {
    await t.db.exec(`CREATE TABLE tf (id integer PRIMARY KEY, note text, tags text[], doc jsonb, at timestamptz)`);
  });
  beforeEach(async () => {
    await t.db.exec(`TRUNCATE tf`);
  });
  const rows = async () => (await t.db.query<{ id: number; note: string }>(`SELECT id, note FROM tf ORDER BY id`)).rows;
  const insert = `INSERT INTO tf (id, note, tags, doc, at) VALUES ($1::integer, $2::text, $3::text[], $4::jsonb, $5::timestamptz) RETURNING id, note, tags, doc, at`;
  const tricky = `it's a \\ "quoted" value; -- not a comment $1 ''`;

  it('first and final statements return their rows, values arrive exactly, and the final one commits', async () => {
    const at = new Date('2026-11-27T10:00:00.123Z');
    const out = await t.db.transaction(async (tx) => {
      const a = await tx.query(insert, [1, tricky, ['a', 'b"c', null, 'd\\e'], { k: tricky, n: [1, 2] }, at]);
      const b = await tx.query(`SELECT count(*)::integer AS n FROM tf WHERE id = $1`, [1]);
      const c = await tx.query(insert, [2, 'second', [], {}, at], { final: true });
      return { a: a.rows, b: b.rows, c: c.rowCount };
    });
    expect(out.a).toEqual([{ id: 1, note: tricky, tags: ['a', 'b"c', null, 'd\\e'], doc: { k: tricky, n: [1, 2] }, at }]);
    expect(out.b).toEqual([{ n: 1 }]);
    expect(out.c).toBe(1);
    expect(await rows()).toEqual([{ id: 1, note: tricky }, { id: 2, note: 'second' }]);
  });

  it('a failing first statement leaves nothing, and the same statement works afterwards', async () => {
    await t.db.query(insert, [5, 'exists', [], {}, new Date()]);
    await expect(t.db.transaction((tx) => tx.query(insert, [5, 'duplicate', [], {}, new Date()]))).rejects.toMatchObject({ code: '23505' });
    await t.db.transaction((tx) => tx.query(insert, [6, 'after', [], {}, new Date()], { final: true }));
    expect(await rows()).toEqual([{ id: 5, note: 'exists' }, { id: 6, note: 'after' }]);
  });

  it('a failing final statement rolls back everything before it', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(insert, [7, 'first', [], {}, new Date()]);
        await tx.query(insert, [7, 'clash', [], {}, new Date()], { final: true });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual([]);
  });

  it('a NUL in a value is refused by the database, not smuggled: the transaction fails as a whole', async () => {
    await expect(t.db.transaction((tx) => tx.query(insert, [8, 'nul\0here', [], {}, new Date()], { final: true }))).rejects.toThrow();
    expect(await rows()).toEqual([]);
  });

  it('nothing may follow the final statement', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(insert, [9, 'last', [], {}, new Date()], { final: true });
        await tx.query(`SELECT 1`);
      }),
    ).rejects.toThrow(/already committed/);
  });
});
