// A Handoff server in its own process for benchmarks: the load generator never shares the server's event loop,
// and the memory figure is the server's own. Peak RSS is the kernel's high-water mark (VmHWM in
// /proc/<pid>/status), read just before the process is stopped; every stopped server adds one entry to
// `peaks()` for the memory section.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/support/stripe-fixtures.js';
import { processCpuMs } from '../cpu.js';

export interface ServerPeak {
  /** Which benchmark ran the process, e.g. "ingest PGlite". */
  label: string;
  /** VmHWM of the process, MiB. */
  peakMb: number;
}

const recorded: ServerPeak[] = [];
/** Peak RSS of every benchmark server stopped so far, in start order. */
export const peaks = (): readonly ServerPeak[] => recorded;
/** For a Handoff process measured some other way (say how in the label, e.g. "dispatch (in-process maxRSS)"). */
export const recordPeak = (label: string, peakMb: number): void => void recorded.push({ label, peakMb });

export interface BenchServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  proc: ChildProcess;
  /** How the server was run ("node dist/cli/main.js" or "node --import tsx src/cli/main.ts"). */
  runner: string;
  /** Current VmHWM (peak RSS so far) in MiB; undefined once the process is gone. */
  peakRssMb(): number | undefined;
  /** Current VmRSS in MiB. */
  rssMb(): number | undefined;
  /** CPU ms (user + system) the server has used so far; undefined once it is gone. */
  cpuMs(): number | undefined;
  stdout(): string;
  stderr(): string;
  /** Reads the peak, records it under `label`, stops with SIGTERM (SIGKILL after 20 s). Returns the peak MiB. */
  stop(): Promise<number | undefined>;
}

/**
 * The built CLI when dist/ is at least as new as every file in src/ (faster start, no loader in RSS),
 * else the TypeScript sources through tsx. BENCH_SERVER=dist|tsx forces one.
 */
export function serverCommand(): { args: string[]; runner: string } {
  const dist = path.join(repoRoot, 'dist/cli/main.js');
  const forced = process.env.BENCH_SERVER;
  const useDist = forced === 'dist' || (forced !== 'tsx' && existsSync(dist) && newestMtime(path.join(repoRoot, 'src')) <= statSync(dist).mtimeMs);
  return useDist
    ? { args: [dist], runner: 'node dist/cli/main.js (built)' }
    : { args: ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts')], runner: 'node --import tsx src/cli/main.ts (dist/ missing or older than src/)' };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** BENCH_SERVER_NODE_ARGS (space-separated node flags). */
function nodeArgs(): string[] {
  return process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
}

/** BENCH_SERVER_ENV (`NAME=value NAME2=value2`) as an env object; a word without `=` stops the run rather than being ignored. */
function serverEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of process.env.BENCH_SERVER_ENV?.split(/\s+/).filter(Boolean) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_SERVER_ENV: expected NAME=value pairs separated by spaces, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * The non-default settings every Handoff process of this run gets, as ` with NAME="…"` for the report's runner line
 * ('' when none). Throws on a malformed BENCH_SERVER_ENV, so a run stops before its first section, not at its first server.
 */
export function serverOverrides(): string {
  serverEnv();
  const set = (['BENCH_SERVER_NODE_ARGS', 'BENCH_SERVER_ENV'] as const).filter((n) => process.env[n]?.trim());
  return set.length ? ` with ${set.map((n) => `${n}="${process.env[n]!.trim()}"`).join(' ')}` : '';
}

/**
 * With BENCH_SERVER_LOG_DIR set, a server's stdout and stderr (its JSON log lines: `database maintenance`, slow
 * requests, …) are also written to `<dir>/<label>-<pid>.log`, to line a latency tail up with what the server did.
 */
function keepLog(label: string, proc: ChildProcess): void {
  const dir = process.env.BENCH_SERVER_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const file = createWriteStream(path.join(dir, `${label.replace(/[^A-Za-z0-9]+/g, '-')}-${proc.pid}.log`));
  proc.stdout!.pipe(file, { end: false });
  proc.stderr!.pipe(file, { end: false });
  proc.once('close', () => file.end());
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined; // process gone (or not Linux)
  }
}

/**
 * Spawns `handoff <args>` (default `start --no-sandbox`) with exactly `env` (plus PATH/HOME) and waits for
 * its "listening on" line. Defaults: HOST 127.0.0.1, PORT 0 (a free port), LOG_LEVEL info (production's default: a
 * line per recorded event is part of the cost measured; BENCH_LOG_LEVEL overrides), NODE_ENV test.
 * Extra node flags (e.g. `--cpu-prof`) go in `nodeArgs`, or for every Handoff process of a run (servers and
 * `runOnce`) in BENCH_SERVER_NODE_ARGS (space-separated; `BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
 * npm run bench` profiles them); extra environment in BENCH_SERVER_ENV (space-separated NAME=value pairs, e.g.
 * `BENCH_SERVER_ENV=MALLOC_ARENA_MAX=2`: README's small-machine settings).
 */
export async function startServer(opts: { label: string; env: Record<string, string>; args?: string[]; nodeArgs?: string[]; timeoutMs?: number }): Promise<BenchServer> {
  const { args, runner } = serverCommand();
  const proc = spawn(process.execPath, [...nodeArgs(), ...(opts.nodeArgs ?? []), ...args, ...(opts.args ?? ['start', '--no-sandbox'])], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', NODE_ENV: 'test', ...serverEnv(), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (err += d.toString()));
  keepLog(opts.label, proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      const m = out.match(/listening on\s+(http:\/\/\S+)/);
      if (m) {
        clearInterval(tick);
        resolve(m[1]!.replace('://localhost:', '://127.0.0.1:'));
      } else if (proc.exitCode !== null || Date.now() - started > (opts.timeoutMs ?? 60_000)) {
        clearInterval(tick);
        proc.kill('SIGKILL');
        reject(new Error(`Handoff did not start (exit ${proc.exitCode})\nstdout:\n${out}\nstderr:\n${err}`));
      }
    }, 20);
  });
  const pid = proc.pid!;
  return {
    url,
    pid,
    proc,
    runner,
    peakRssMb: () => statusMb(pid, 'VmHWM'),
    rssMb: () => statusMb(pid, 'VmRSS'),
    cpuMs: () => processCpuMs(pid),
    stdout: () => out,
    stderr: () => err,
    async stop() {
      const peak = statusMb(pid, 'VmHWM');
      if (peak !== undefined) recorded.push({ label: opts.label, peakMb: peak });
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const force = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(force);
      }
      return peak;
    },
  };
}

/**
 * Runs `handoff <args>` to completion (e.g. `migrate`: on a fresh PGlite data dir that is the first open, initdb
 * included) and records its peak RSS under `label`, sampled every 25 ms from VmHWM (the last 25 ms before exit
 * can be missed). Rejects on a non-zero exit.
 */
export async function runOnce(opts: { label: string; env: Record<string, string>; args: string[] }): Promise<number | undefined> {
  const { args } = serverCommand();
  const proc = spawn(process.execPath, [...nodeArgs(), ...args, ...opts.args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', NODE_ENV: 'test', ...serverEnv(), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  let peak: number | undefined;
  const tick = setInterval(() => {
    const v = statusMb(proc.pid!, 'VmHWM');
    if (v !== undefined) peak = Math.max(peak ?? 0, v);
  }, 25);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  clearInterval(tick);
  if (code !== 0) throw new Error(`handoff ${opts.args.join(' ')} exited ${code}:\n${out}`);
  if (peak !== undefined) recorded.push({ label: opts.label, peakMb: peak });
  return peak;
}
