import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './stripe-fixtures.js';

export interface HandoffProcess {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `re` in stdout (rejects on exit or after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the real CLI (`handoff <args>`) from the TypeScript sources in a child process. */
export function spawnHandoff(args: string[], env: Record<string, string>): HandoffProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = setInterval(() => {
          const m = out.match(re);
          if (m) {
            clearInterval(tick);
            resolve(m);
          } else if (proc.exitCode !== null || Date.now() - started > ms) {
            clearInterval(tick);
            reject(new Error(`did not see ${re} (exit ${proc.exitCode})\nstdout:\n${out}\nstderr:\n${err}`));
          }
        }, 25);
      });
    },
  };
}

/**
 * Stops every child still running (SIGTERM; SIGKILL after `graceMs`) and empties the list: an afterEach for tests
 * whose failure would otherwise leave a server behind, loading every later test.
 */
export async function stopProcesses(procs: HandoffProcess[], graceMs = 10_000): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) continue;
    p.proc.kill('SIGTERM');
    const stopped = await Promise.race([p.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), graceMs))]);
    if (!stopped) {
      p.proc.kill('SIGKILL');
      await p.exited;
    }
  }
}
