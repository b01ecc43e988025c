import { describe, expect, it } from 'vitest';
import { useTestDb } from '../support/db.js';

/**
 * The README ("Durable where it matters"), `handoff start`'s production warning and the doctor say that embedded PGlite
 * never flushes a commit to disk. This pins the fact they rest on: when a PGlite upgrade turns fsync on, this fails,
 * and those three texts must change with it.
 */
describe('embedded PGlite durability', () => {
  const t = useTestDb('pglite');

  it('runs with fsync off: a commit reaches the page cache, not the disk', async () => {
    const { rows } = await t.db.query<{ fsync: string }>('SHOW fsync');
    expect(rows[0]!.fsync).toBe('off');
  });
});
