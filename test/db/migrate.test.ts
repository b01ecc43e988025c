import { describe, expect, it } from 'vitest';
import { listMigrations, migrate, pendingMigrations } from '../../src/db/index.js';
import { DB_KINDS, useTestDb } from '../support/db.js';

describe.each(DB_KINDS)('migrations on %s', (kind) => {
  const t = useTestDb(kind);

  it('applies every migration once and reports none pending', async () => {
    expect(await pendingMigrations(t.db)).toEqual([]);
    expect(await migrate(t.db)).toEqual([]);
    const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => Number(r.version))).toEqual(listMigrations().map((m) => m.version));
  });

  it('serialises concurrent migrators under the advisory lock', async () => {
    const results = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
    expect(results.flat()).toEqual([]);
  });
});
