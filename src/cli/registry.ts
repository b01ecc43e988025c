import type { Command } from './command.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { jobsRetryCommand } from './commands/jobs-retry.js';
import { jobsCommand } from './commands/jobs.js';
import { keysCommand, keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { replayCommand } from './commands/replay.js';
import { startCommand, webCommand, workerCommand } from './commands/serve.js';
import { traceCommand } from './commands/trace.js';

/** Every command, in the order `handoff --help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  webCommand,
  workerCommand,
  migrateCommand,
  doctorCommand,
  replayCommand,
  traceCommand,
  jobsCommand,
  jobsRetryCommand,
  keysCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  demoCommand,
];
