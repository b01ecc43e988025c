#!/usr/bin/env node
import { exitAfterLogs, flushLogs } from '../monitor/logger.js';
import { processIo } from './io.js';
import { runCli } from './run.js';

/**
 * The `handoff` binary. A finished command exits with its code once its log lines and stdout have drained; a server
 * (start, web, worker) keeps running and exits from its own signal handlers.
 */
runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    if (code === undefined) return;
    process.exitCode = code;
    void flushLogs().then(() => process.stdout.write('', () => process.exit(code)));
  },
  (err: unknown) => {
    process.stderr.write(`handoff failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfterLogs(1);
  },
);
