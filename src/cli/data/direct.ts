import type { Ids } from '../../clock.js';
import type { AppConfig } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import * as admin from '../../admin/index.js';
import type { HandoffData } from './types.js';

/** Data access on a database this process opened (PostgreSQL, or an embedded PGlite no server holds). */
export function directData(db: Database, config: Pick<AppConfig, 'dispatcher'>, ids: Ids): HandoffData {
  return {
    via: db.describe,
    status: () => admin.systemStatus(db, Math.max(30_000, config.dispatcher.leaseMs)),
    listJobs: (filter) => admin.listJobs(db, filter),
    retryJob: (id) => admin.retryJob(db, id),
    retryDeadJobs: (connector) => admin.retryDeadJobs(db, connector),
    createKey: (input) => admin.createApiKey(db, ids, input),
    listKeys: () => admin.listApiKeys(db),
    revokeKey: (ref) => admin.revokeApiKey(db, ref),
    trace: (ref) => admin.traceCustomer(db, ref),
    close: () => db.close(),
  };
}
