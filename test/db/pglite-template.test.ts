import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openPglite, type Database } from '../../src/db/index.js';
import { pgliteTemplate, pgliteVersion, TEMPLATE_DATA, TEMPLATE_DIR, TEMPLATE_META_FILE } from '../../src/db/pglite-template.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'handoff-template-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A new PGlite data dir starts from the template `npm run build` writes (scripts/pglite-template.mjs), not from
 * an in-process initdb. CI builds it in `npm ci` (the `prepare` script).
 */
describe('PGlite data dir template', () => {
  it('is built for the installed PGlite, and a new data dir made from it migrates, keeps its rows and reopens', async () => {
    expect(pgliteTemplate(), `no ${TEMPLATE_DATA}/ for PGlite ${pgliteVersion()} in ${TEMPLATE_DIR}: run npm run build`).toBe(path.join(TEMPLATE_DIR, TEMPLATE_DATA));
    const dir = tmp();
    let db: Database = await openPglite(dir);
    try {
      expect(existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
      await migrate(db);
      await db.query(`INSERT INTO customers (id, email, lifecycle, support, created_at, updated_at) VALUES ('c1', 'a@example.com', 'lead', 'none', now(), now())`);
    } finally {
      await db.close();
    }
    db = await openPglite(dir); // an existing data dir: opened as it is, never loaded over
    try {
      expect((await db.query<{ email: string }>(`SELECT email FROM customers`)).rows).toEqual([{ email: 'a@example.com' }]);
    } finally {
      await db.close();
    }
  });

  it('is not used when another PGlite version made it, when it is missing, or when it is incomplete', () => {
    const dir = tmp();
    expect(pgliteTemplate(dir)).toBeUndefined();
    cpSync(path.join(TEMPLATE_DIR, TEMPLATE_DATA), path.join(dir, TEMPLATE_DATA), { recursive: true });
    writeFileSync(path.join(dir, TEMPLATE_META_FILE), JSON.stringify({ pglite: '0.0.1' }));
    expect(pgliteTemplate(dir)).toBeUndefined();
    writeFileSync(path.join(dir, TEMPLATE_META_FILE), JSON.stringify({ pglite: pgliteVersion() }));
    expect(pgliteTemplate(dir)).toBe(path.join(dir, TEMPLATE_DATA));
    unlinkSync(path.join(dir, TEMPLATE_DATA, 'PG_VERSION'));
    expect(pgliteTemplate(dir)).toBeUndefined();
  });

  it('a copy cut short (no PG_VERSION yet) is copied again over, not opened half-made', async () => {
    const dir = tmp();
    cpSync(path.join(TEMPLATE_DIR, TEMPLATE_DATA, 'base'), path.join(dir, 'base'), { recursive: true }); // part of a copy
    writeFileSync(path.join(dir, 'postgresql.conf'), 'this is not a configuration file\n'); // a half-written file
    const db = await openPglite(dir);
    try {
      expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await db.close();
    }
  });
});
