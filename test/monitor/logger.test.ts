import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLogger } from '../support/app.js';
import { repoRoot } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';

describe('logger redaction (the backstop behind "log ids, not payloads")', () => {
  it('censors credentials and bodies passed to it by mistake', () => {
    const { logger, lines } = captureLogger();
    logger.info({
      headers: { authorization: 'Bearer sk_secret_value', 'stripe-signature': 't=1,v1=abcdef0123', 'svix-signature': 'v1,zzz' },
      config: { token: 'tok_123456', secret: 'whsec_hidden', accessToken: 'pat-secret' },
      body: '{"email":"private@example.com"}',
      payload: { email: 'private@example.com' },
      eventId: 'evt_visible',
    });
    const line = lines.join('');
    expect(line).toContain('evt_visible');
    for (const s of ['sk_secret_value', 'abcdef0123', 'zzz', 'tok_123456', 'whsec_hidden', 'pat-secret', 'private@example.com']) expect(line).not.toContain(s);
  });
});

/** The default destination (stdout, buffered and asynchronous) in a real child process. */
describe('logger default destination', () => {
  const child = (code: string) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { createLogger, exitAfterLogs } from ${JSON.stringify(path.join(repoRoot, 'src/monitor/logger.ts'))};\n${code}`], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
    return { proc, out: () => out, exited };
  };

  it('writes every line, in order, when the process exits through exitAfterLogs (a chunk may be in flight)', async () => {
    // 200 lines are several 4 KB chunks: one is being written asynchronously when the exit begins.
    const c = child(`const log = createLogger('info'); for (let i = 0; i < 200; i++) log.info({ eventId: 'evt_exit_' + i }, 'event recorded'); exitAfterLogs(0);`);
    expect(await c.exited).toBe(0);
    const lines = c.out().trim().split('\n').map((l) => JSON.parse(l) as { eventId: string; msg: string });
    expect(lines.map((l) => l.eventId)).toEqual(Array.from({ length: 200 }, (_, i) => `evt_exit_${i}`));
  }, 30_000);

  it('writes the lines still buffered at a bare process.exit() (pino\'s exit hook)', async () => {
    // Fewer than 4 KB: nothing in flight yet, everything in the buffer.
    const c = child(`const log = createLogger('info'); for (let i = 0; i < 5; i++) log.info({ eventId: 'evt_bare_' + i }, 'event recorded'); process.exit(0);`);
    expect(await c.exited).toBe(0);
    const lines = c.out().trim().split('\n').map((l) => JSON.parse(l) as { eventId: string });
    expect(lines.map((l) => l.eventId)).toEqual(Array.from({ length: 5 }, (_, i) => `evt_bare_${i}`));
  }, 30_000);

  it('writes a quiet process\'s line within about a second, while it keeps running', async () => {
    const c = child(`createLogger('info').info({ eventId: 'evt_quiet' }, 'event recorded'); setTimeout(() => {}, 60_000);`);
    try {
      await waitUntil(async () => c.out().includes('evt_quiet'), 15_000, 'the line on stdout');
      expect(c.proc.exitCode).toBeNull(); // written by the flush timer, not at exit
    } finally {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }, 30_000);
});
