import type { AppConfig } from '../config/index.js';
import { str } from './args.js';
import type { CommandContext, OptionSpec } from './command.js';
import type { ConnectOptions } from './data/connect.js';
import type { HandoffData } from './data/types.js';

/** The --url option of every data command. */
export const SERVER_OPTION: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'URL', description: 'use this Handoff server\'s admin API (default: HANDOFF_URL; see "Where data comes from")' },
};

export const WHERE_DATA_COMES_FROM = `Where data comes from: with --url or HANDOFF_URL, that server's admin API (Bearer HANDOFF_ADMIN_TOKEN);
else with DATABASE_URL, PostgreSQL directly; else the embedded PGlite database: through the admin API of the
Handoff server answering at http://127.0.0.1:$PORT when one runs (it owns the database), otherwise opened here.`;

/**
 * Configuration from the command's environment (a ConfigError lists every problem). Heavy modules
 * (config, drivers, the admin queries) load only when a command runs, so --help stays instant.
 */
export async function configOf(ctx: CommandContext): Promise<AppConfig> {
  const { loadConfig } = await import('../config/index.js');
  return loadConfig({ ...ctx.io.env });
}

/** Runs `fn` with the data access this command should use, and releases it afterwards. */
export async function withData<T>(ctx: CommandContext, fn: (data: HandoffData, config: AppConfig) => Promise<T>, opts: ConnectOptions = {}): Promise<T> {
  const config = await configOf(ctx);
  const { connectData } = await import('./data/connect.js');
  const data = await connectData(config, { url: str(ctx.values, 'url') ?? (ctx.io.env.HANDOFF_URL?.trim() || undefined), ...opts });
  try {
    return await fn(data, config);
  } finally {
    await data.close();
  }
}
