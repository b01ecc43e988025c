export type { Database, Queryable, QueryResult, Tx } from './types.js';
export { withTransaction } from './types.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { openDatabase } from './open.js';
export { migrate, pendingMigrations, listMigrations } from './migrate.js';
export { sql, type SqlName } from './sql/index.js';
export { JOBS_CHANNEL } from './notify.js';
