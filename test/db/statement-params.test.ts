/**
 * Parameters reach the database unchanged on both engines. PGlite runs parameterised statements as
 * `EXECUTE name(<literals>)` of a statement PREPAREd once (src/db/pglite.ts), so its literal encoding must give
 * exactly what a bound parameter gives on PostgreSQL, hostile text included; and its prepared statements must
 * survive a rolled-back transaction.
 */
import { describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';

const HOSTILE = [
  "it's",
  "'; DROP TABLE customers; --",
  'back\\slash \\x41 \\\\ end\\',
  "E'\\'",
  'quote " and {brace} and ,comma',
  'ünïcødé ✓ 🚀 中文',
  '$1 $$ dollar $tag$',
  '',
  ' leading and trailing ',
  'line\nbreak\ttab\r',
];

describe.each(DB_KINDS)('statement parameters on %s', (kind) => {
  const t = useTestDb(kind);

  it('the first uses of a statement, all at once, all succeed (one PREPARE shared by concurrent callers)', async () => {
    const text = "SELECT $1::integer * 2 AS n, 'concurrent first use' AS tag";
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.db.query<{ n: number }>(text, [i])));
    expect(results.map((r) => r.rows[0]!.n)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    // And inside transactions racing with queries outside them.
    const text2 = "SELECT $1::integer + 1 AS n, 'concurrent first use in tx' AS tag";
    const mixed = await Promise.all([
      t.db.transaction((tx) => tx.query<{ n: number }>(text2, [1])),
      t.db.query<{ n: number }>(text2, [2]),
      t.db.transaction((tx) => tx.query<{ n: number }>(text2, [3])),
    ]);
    expect(mixed.map((r) => r.rows[0]!.n)).toEqual([2, 3, 4]);
  });

  it('round-trips hostile text, arrays, json, numbers, booleans, dates and NULL exactly', async () => {
    for (const s of HOSTILE) {
      const { rows } = await t.db.query<{ a: string; arr: string[]; j: unknown; n: number; b: boolean; d: Date; z: string | null }>(
        'SELECT $1::text AS a, $2::text[] AS arr, $3::jsonb AS j, $4::integer AS n, $5::boolean AS b, $6::timestamptz AS d, $7::text AS z',
        [s, [s, 'x', null, s], JSON.stringify({ s, nested: [s] }), 42, false, new Date('2026-01-01T00:00:00.123Z'), null],
      );
      expect(rows[0]).toEqual({ a: s, arr: [s, 'x', null, s], j: { s, nested: [s] }, n: 42, b: false, d: new Date('2026-01-01T00:00:00.123Z'), z: null });
    }
  });

  it('writes what it was given and reports affected rows', async () => {
    await t.db.exec('CREATE TABLE param_probe (k text PRIMARY KEY, v text)');
    const ins = await t.db.query('INSERT INTO param_probe (k, v) SELECT k, $2 FROM unnest($1::text[]) AS k', [HOSTILE, "v'\\"]);
    expect(ins.rowCount).toBe(HOSTILE.length);
    const { rows } = await t.db.query<{ k: string; v: string }>('SELECT k, v FROM param_probe WHERE k = ANY($1::text[])', [HOSTILE]);
    expect(new Set(rows.map((r) => r.k))).toEqual(new Set(HOSTILE));
    expect(rows).toHaveLength(HOSTILE.length);
    expect(new Set(rows.map((r) => r.v))).toEqual(new Set(["v'\\"]));
  });

  it('a NUL in text is refused by the database, as a bound parameter is', async () => {
    await expect(t.db.query('SELECT $1::text AS a', ['a\u0000b'])).rejects.toThrow();
  });

  it('a statement first run in a transaction that rolls back still runs afterwards', async () => {
    const q = 'SELECT $1::integer + 1 AS n, $2::text AS s';
    await expect(
      t.db.transaction(async (tx) => {
        expect((await tx.query<{ n: number }>(q, [1, 'a'])).rows[0]!.n).toBe(2);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await t.db.query<{ n: number; s: string }>(q, [41, 'b'])).rows[0]).toEqual({ n: 42, s: 'b' });
  });
});
