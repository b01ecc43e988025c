/**
 * Operator actions over the database, shared by the admin API (src/http/routes/admin.ts) and the CLI when
 * it may reach the database itself (PostgreSQL, or PGlite that no server holds). Every function takes the
 * database explicitly; inputs from outside are validated here (BadRequestError → 400).
 */
export * from './types.js';
export { listJobs, retryJob, retryDeadJobs, parseJobFilter, parseJobId, assertConnector, MAX_JOB_LIST, type JobFilter } from './jobs.js';
export { createApiKey, listApiKeys, revokeApiKey, parseNewKey, type NewKeyInput } from './keys.js';
export { systemStatus } from './status.js';
export { traceCustomer, type CustomerTrace } from './trace.js';
