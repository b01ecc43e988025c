import { loadConfig, type AppConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { fail, pass, type CheckResult } from './types.js';

/** The same validation as start-up: every missing or invalid variable, named (never its value). */
export function checkConfig(env: Record<string, string | undefined>): { result: CheckResult; config?: AppConfig } {
  try {
    const config = loadConfig(env);
    const db = config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite at ${config.database.dataDir}`;
    return { config, result: pass('config', 'configuration', `valid (${config.env}; ${db})`) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const n = err.problems.length;
    return {
      result: fail(
        'config',
        'configuration',
        `${n} problem${n === 1 ? '' : 's'}:\n${err.problems.map((p) => `      - ${p}`).join('\n')}`,
        'set or correct the variables listed (README.md, "Configuration"); Handoff refuses to start until they are fixed',
      ),
    };
  }
}
