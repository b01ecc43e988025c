import type { Command } from '../command.js';
import { configOf } from '../context.js';
import { DataAccessError } from '../errors.js';
import { json, line } from '../io.js';

/** `handoff migrate`: applies pending migrations under the advisory lock and exits. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations and exit',
  details: 'Safe to run from several processes at once (an advisory lock serialises them). Handoff also migrates at start-up.',
  async run(ctx) {
    const config = await configOf(ctx);
    const { migrate, openDatabase } = await import('../../db/index.js');
    const { DatabaseInUseError } = await import('../../db/dir-lock.js');
    const db = await openDatabase(config).catch((err: unknown) => {
      if (err instanceof DatabaseInUseError) {
        throw new DataAccessError(err.message, 'a running Handoff applied its migrations when it started: restart it after an upgrade, or stop it and run handoff migrate');
      }
      throw err;
    });
    try {
      const applied = await migrate(db);
      if (ctx.json) json(ctx.io, { database: db.describe, applied });
      else line(ctx.io, applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
      return 0;
    } finally {
      await db.close();
    }
  },
};
