import type { Clock, Ids } from '../clock.js';
import type { AppConfig } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Logger, Metrics } from '../monitor/index.js';
import type { RecordDeps } from '../pipeline/index.js';

/** Everything a route needs, passed in once; routes never reach for globals. */
export interface AppDeps {
  config: AppConfig;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  ids: Ids;
  record: RecordDeps;
  /** True when a dispatcher heartbeat is recent (this process or another sharing the database). */
  dispatcherAlive: () => Promise<boolean>;
}

export type Env = { Variables: { requestId: string; log: Logger } };
