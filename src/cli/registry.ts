import type { Command } from './command.js';
import { backfillCommand } from './commands/backfill.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { jobsRetryCommand } from './commands/jobs-retry.js';
import { jobsCommand } from './commands/jobs.js';
import { keysCommand, keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { reconcileCommand } from './commands/reconcile.js';
import { replayCommand } from './commands/replay.js';
import { rehearseCommand } from './commands/rehearse.js';
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
  backfillCommand,
  reconcileCommand,
  rehearseCommand,
  traceCommand,
  jobsCommand,
  jobsRetryCommand,
  keysCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  demoCommand,
];
