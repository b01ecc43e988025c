/**
 * CLI outcomes other than success, each with its exit code (documented in `handoff --help`):
 *   1  the command ran and found a problem, or the server refused the request (message says why)
 *   2  usage: unknown command or option, missing or invalid argument
 *   3  Handoff's data is out of reach: no server answered and the database could not be opened
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  readonly exitCode: number;
  /** What to do about it, printed after the message. */
  readonly fix?: string;
  constructor(message: string, opts: { exitCode?: number; fix?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? EXIT.failed;
    this.fix = opts.fix;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
  }
}

/** Neither a server's admin API nor the database could be reached; `fix` says how to make one work. */
export class DataAccessError extends CliError {
  constructor(message: string, fix: string, cause?: unknown) {
    super(message, { exitCode: EXIT.unreachable, fix, cause });
  }
}
