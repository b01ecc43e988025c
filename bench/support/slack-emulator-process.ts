// The Slack emulator in its own process, for the dispatch benchmark's HTTP path: a provider is another machine,
// so its HTTP server and JSON handling must not share the dispatcher's event loop and core (in the same process
// they took a fifth to a quarter of its CPU per job). The child reports how many messages it has accepted every 5 ms over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from '../cpu.js';

export interface SlackEmulatorProcess {
  url: string;
  /** Messages accepted so far, as last reported (at most ~5 ms old). */
  count(): number;
  /** CPU ms (user + system) the emulator process has used so far. */
  cpuMs(): number;
  close(): Promise<void>;
}

type FromChild = { url: string } | { count: number };

/** Starts the child; every answer is `latencyMs` late (the emulator's delay fault). */
export async function startSlackEmulatorProcess(latencyMs: number): Promise<SlackEmulatorProcess> {
  // The parent runs under tsx (npm run bench): the child inherits its loader through execArgv.
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', String(latencyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let count = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the Slack emulator process exited (${code}) before listening`)));
    child.on('message', (m: FromChild) => {
      if ('url' in m) resolve(m.url);
      else count = m.count;
    });
  });
  return {
    url,
    count: () => count,
    cpuMs: () => processCpuMs(child.pid!) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[2] === '--child') {
  const { startSlackEmulator } = await import('../../src/sandbox/emulators/index.js');
  const slack = await startSlackEmulator();
  slack.faults.failFor(24 * 3_600_000, { kind: 'delay', ms: Number(process.argv[3]) });
  let reported = -1;
  const tick = setInterval(() => {
    if (slack.messages.length !== reported) process.send?.({ count: (reported = slack.messages.length) });
  }, 5);
  process.send?.({ url: slack.url });
  process.on('SIGTERM', () => {
    clearInterval(tick);
    void slack.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0)); // the benchmark died: do not linger
}
