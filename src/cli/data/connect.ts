import { systemIds } from '../../clock.js';
import type { AppConfig } from '../../config/index.js';
import { apiData } from './api.js';
import { directData } from './direct.js';
import { reachData, type ReachOptions } from './reach.js';
import type { HandoffData } from './types.js';

export type ConnectOptions = Omit<ReachOptions, 'poolMax'>;

/** The admin data (status, jobs, keys, trace) wherever reachData finds it: the admin API or the database. */
export async function connectData(config: AppConfig, opts: ConnectOptions = {}): Promise<HandoffData> {
  const target = await reachData(config, opts);
  return target.kind === 'api' ? apiData(target.base, config.adminToken) : directData(target.db, config, systemIds);
}
