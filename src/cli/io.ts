/**
 * Where a command writes. Results go to `out` (stdout), diagnostics and progress to `err` (stderr), so
 * `--json` output can be piped. Tests pass their own Io; the binary uses processIo().
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Progress bars are drawn only on a terminal; redirected stderr stays quiet. */
  stderrIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}

export interface Progress {
  update(done: number, label?: string): void;
  /** Clears the progress line (call before printing a result line, and at the end). */
  clear(): void;
}

const WIDTH = 24;

/** A one-line progress bar on stderr, redrawn in place; a no-op when stderr is not a TTY. */
export function progress(io: Io, total: number, title: string): Progress {
  if (!io.stderrIsTTY || total <= 0) return { update() {}, clear() {} };
  let shown = false;
  return {
    update(done, label) {
      const filled = Math.round((Math.min(done, total) / total) * WIDTH);
      io.err(`\r\x1b[K${title} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}${label ? ` ${label}` : ''}`);
      shown = true;
    },
    clear() {
      if (shown) io.err('\r\x1b[K');
      shown = false;
    },
  };
}

export const json = (io: Io, value: unknown): void => io.out(`${JSON.stringify(value, null, 2)}\n`);
export const line = (io: Io, text = ''): void => io.out(`${text}\n`);
