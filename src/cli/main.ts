#!/usr/bin/env node
import { ConfigError, StartupError } from '../errors.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';

const HELP = `handoff — verified webhooks in, one customer truth, side effects out through an outbox

Usage: handoff <command>

Commands:
  start     web server and dispatcher in one process (default)
  web       HTTP only (run dispatchers separately with "handoff worker")
  worker    dispatcher only: delivers queued side effects
  migrate   apply database migrations and exit

Configuration comes from environment variables; see README.md ("Configuration").
With no DATABASE_URL, data lives in embedded PGlite under HANDOFF_DATA_DIR (default ./.handoff).
`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help')) {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'start':
      return serveCommand({ web: true, worker: true });
    case 'web':
      return serveCommand({ web: true, worker: false });
    case 'worker':
      return serveCommand({ web: false, worker: true });
    case 'migrate':
      return migrateCommand();
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`handoff failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
