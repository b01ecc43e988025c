import type { Io } from './io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a string option, e.g. "URL". */
  value?: string;
  description: string;
  /** May be given several times (string options); values are collected in order. */
  multiple?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  io: Io;
  values: OptionValues;
  positionals: string[];
  /** --json: one JSON document on stdout instead of text. */
  json: boolean;
}

/**
 * One CLI command. `run` resolves with the exit code, or with undefined for a command that keeps
 * running (a server) and must not be exited when `run` returns.
 */
export interface Command {
  /** "jobs" or "jobs retry" (a subcommand). */
  name: string;
  summary: string;
  /** Arguments after the name, e.g. "<id> | --all-dead [--connector X]". */
  usage?: string;
  /** Extra help paragraphs. */
  details?: string;
  options?: Record<string, OptionSpec>;
  /** Accepted positional arguments: [min, max]. Default [0, 0]. */
  positionals?: [number, number];
  /** False for commands whose output is a server's log (start, web, worker). Default true. */
  json?: boolean;
  run(ctx: CommandContext): Promise<number | undefined>;
}
