import { ConfigError, HandoffError, StartupError } from '../errors.js';
import { commandHelp, parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';
import { COMMANDS } from './registry.js';

export function topHelp(): string {
  const listed = COMMANDS.filter((c) => c.name !== 'keys');
  const width = Math.max(...listed.map((c) => c.name.length));
  return `handoff — verified webhooks in, one customer truth, side effects out through an outbox

Usage: handoff <command> [options]      (no command: start)
       handoff <command> --help

Commands:
${listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --help, and all but start/web/worker take --json.
Exit status: 0 ok; 1 the command found a problem or was refused (the message says which and how to fix it);
2 usage error; 3 Handoff's data is out of reach (no server answered and the database could not be opened).

Configuration comes from environment variables; see README.md ("Configuration").
With no DATABASE_URL, data lives in embedded PGlite under HANDOFF_DATA_DIR (default ./.handoff).
`;
}

/** The command named by argv's leading words ("jobs retry" before "jobs"), and the rest of argv. */
function find(argv: string[]): { cmd?: Command; rest: string[]; name: string } {
  const [a = 'start', b] = argv;
  if (b !== undefined && !b.startsWith('-')) {
    const sub = COMMANDS.find((c) => c.name === `${a} ${b}`);
    if (sub) return { cmd: sub, rest: argv.slice(2), name: sub.name };
  }
  return { cmd: COMMANDS.find((c) => c.name === a), rest: argv.slice(1), name: a };
}

/**
 * Runs one CLI invocation. Resolves with the exit code, or undefined when the command keeps running
 * (a server). Never throws: every failure is printed (a message with its fix, never a stack trace for
 * an expected failure) and mapped to an exit code.
 */
export async function runCli(argv: string[], io: Io): Promise<number | undefined> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const target = argv[1] ? find(argv.slice(1)).cmd : undefined;
    io.out(target ? commandHelp(target) : topHelp());
    return EXIT.ok;
  }
  const { cmd, rest, name } = find(argv);
  if (!cmd) {
    io.err(`unknown command: ${name}\n\n${topHelp()}`);
    return EXIT.usage;
  }
  let jsonMode = cmd.json !== false && rest.includes('--json');
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      io.out(commandHelp(cmd));
      return EXIT.ok;
    }
    jsonMode = values.json === true;
    return await cmd.run({ io, values, positionals, json: jsonMode });
  } catch (err) {
    return report(io, cmd, err, jsonMode);
  }
}

function report(io: Io, cmd: Command, err: unknown, jsonMode: boolean): number {
  let code: number = EXIT.failed;
  let message: string;
  let fix: string | undefined;
  let kind = 'failed';
  if (err instanceof UsageError) {
    [code, kind, message, fix] = [err.exitCode, 'usage', err.message, `see: handoff ${cmd.name} --help`];
  } else if (err instanceof CliError) {
    [code, kind, message, fix] = [err.exitCode, err.exitCode === EXIT.unreachable ? 'unreachable' : 'failed', err.message, err.fix];
  } else if (err instanceof ConfigError) {
    [kind, message] = ['config_invalid', err.message];
  } else if (err instanceof StartupError || (err instanceof HandoffError && err.status < 500)) {
    message = err.message; // what to do is in the message; a stack would add nothing
  } else {
    message = `handoff ${cmd.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  }
  io.err(`${message}\n${fix ? `  fix: ${fix}\n` : ''}`);
  if (jsonMode) io.out(`${JSON.stringify({ error: kind, message, ...(fix ? { fix } : {}) }, null, 2)}\n`);
  return code;
}
