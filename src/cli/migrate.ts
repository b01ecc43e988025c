import { loadConfig } from '../config/index.js';
import { migrate, openDatabase } from '../db/index.js';

/** `handoff migrate`: applies pending migrations under the advisory lock and exits. */
export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.close();
  }
}
