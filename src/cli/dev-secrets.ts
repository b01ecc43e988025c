import type { Ids } from '../clock.js';
import type { AppConfig } from '../config/index.js';
import { KEY_PREFIX } from '../ingest/index.js';

/**
 * Outside production, a missing admin token or app API key is generated for this run and shown ONCE on
 * the terminal (stdout, never the log). Production refuses to start without them (config rule).
 */
export function withDevSecrets(config: AppConfig, ids: Ids, print: (line: string) => void): AppConfig {
  if (config.env === 'production' || (config.adminToken && config.bootstrapApiKey)) return config;
  const adminToken = config.adminToken ?? ids.token(24);
  const bootstrapApiKey = config.bootstrapApiKey ?? `${KEY_PREFIX}${ids.token(24)}`;
  if (!config.adminToken) print(`  admin token (this run only; set HANDOFF_ADMIN_TOKEN to keep one): ${adminToken}`);
  if (!config.bootstrapApiKey) print(`  app API key (this run only; set HANDOFF_API_KEY to keep one):   ${bootstrapApiKey}`);
  return Object.freeze({ ...config, adminToken, bootstrapApiKey });
}
