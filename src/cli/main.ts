#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './run.js';

/**
 * The `handoff` binary. A finished command exits with its code once stdout has drained; a server
 * (start, web, worker) keeps running and exits from its own signal handlers.
 */
runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    if (code === undefined) return;
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`handoff failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
