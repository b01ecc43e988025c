import { readFileSync } from 'node:fs';
import type { Database } from '../src/db/index.js';

/**
 * CPU time spent on a piece of work: this process (process.cpuUsage) plus the PostgreSQL backends serving it
 * (utime + stime from /proc/<pid>/stat; the server runs on this machine). Wall-clock rates swing with whatever
 * else the machine runs; CPU per job does not, so it is reported next to them.
 */
export interface CpuSample {
  processMs: number;
  backends: Map<number, number>;
}

const TICK_MS = 10; // CLK_TCK 100 on Linux

/** CPU ms (user + system) another process on this machine has used so far; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return undefined; // not on this machine, or gone
  }
}

export function sampleCpu(backendPids: readonly number[]): CpuSample {
  const u = process.cpuUsage();
  const backends = new Map<number, number>();
  for (const pid of backendPids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) backends.set(pid, ms);
  }
  return { processMs: (u.user + u.system) / 1000, backends };
}

/** CPU ms between two samples: { process, database } (database 0 when no backend could be read). */
export function cpuBetween(a: CpuSample, b: CpuSample): { processMs: number; databaseMs: number } {
  let databaseMs = 0;
  for (const [pid, ms] of b.backends) databaseMs += ms - (a.backends.get(pid) ?? 0);
  return { processMs: b.processMs - a.processMs, databaseMs };
}

/** The backends connected to database `name` (a SQL query the caller runs on any connection). */
export const BACKENDS_SQL = `SELECT pid FROM pg_stat_activity WHERE datname = $1`;

/** The backends connected to the current database (run on a connection to it). */
export const BACKENDS_OF_THIS_DB = `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;

/** This process and the PostgreSQL backends now connected to `db`'s database (PGlite: this process only). */
export async function sampleDb(db: Database): Promise<CpuSample> {
  if (db.kind !== 'postgres') return sampleCpu([]);
  const { rows } = await db.query<{ pid: number }>(BACKENDS_OF_THIS_DB);
  return sampleCpu(rows.map((r) => r.pid));
}

/**
 * CPU of the PostgreSQL backends serving a run, read every `everyMs` while it runs: a backend that leaves before
 * the end (a pool closing an idle connection, a runner releasing its pool) still counts up to its last reading, and
 * one that arrives during the run counts from its start. Sampling the backends only at the start and the end
 * missed both (a run whose pool had gone by the end showed 0 µs of database CPU).
 */
export function trackBackendCpu(list: () => Promise<number[]>, everyMs = 50): { stop(): Promise<number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let started = false;
  const read = async () => {
    const pids = new Set([...last.keys(), ...(await list())]);
    for (const pid of pids) {
      const ms = processCpuMs(pid);
      if (ms === undefined) continue; // gone: its last reading stands
      if (!first.has(pid)) first.set(pid, started ? 0 : ms);
      last.set(pid, ms);
    }
  };
  let pending: Promise<void> = read().then(() => void (started = true));
  const timer = setInterval(() => {
    pending = pending.then(read, read);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending.then(read, read);
      let ms = 0;
      for (const [pid, v] of last) ms += v - (first.get(pid) ?? 0);
      return ms;
    },
  };
}
