import { runCli } from '../../src/cli/run.js';

export interface CliRun {
  code: number | undefined;
  out: string;
  err: string;
  json<T = Record<string, any>>(): T;
}

/** Runs one `handoff …` invocation in this process with exactly `env` (nothing from process.env). */
export async function cli(argv: string[], env: Record<string, string | undefined>, opts: { tty?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s), stderrIsTTY: opts.tty ?? false, env });
  return { code, out, err, json: <T>() => JSON.parse(out) as T };
}

/** A loopback port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
