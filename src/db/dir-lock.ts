import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { sleep } from '../clock.js';
import { StartupError } from '../errors.js';

/**
 * An exclusive, process-level lock on a data directory: embedded PGlite belongs to ONE process.
 * A lock left by a dead process (kill -9) is taken over; a live owner makes the open fail clearly.
 */
/** The lock file inside the data dir that says which process owns it. */
export const LOCK_FILE = 'handoff.lock';

/**
 * Another live process holds the embedded database. The message is one line (the CLI prints it at
 * start-up), and so is the stack: there is nothing to debug, only an operator decision.
 */
export class DatabaseInUseError extends StartupError {
  readonly dataDir: string;
  /** The owner's pid, when the lock file names one. */
  readonly pid: number | undefined;
  constructor(dataDir: string, pid: number | undefined, host?: string) {
    const elsewhere = host !== undefined && host !== '' && host !== hostname();
    const who = pid === undefined ? 'another process' : `process ${pid}${elsewhere ? ` on host ${host}` : ''}`;
    const hint = elsewhere ? ` (if that process is gone, delete ${path.join(dataDir, LOCK_FILE)})` : '';
    super(
      `the embedded database at ${dataDir} is in use by ${who}; embedded PGlite belongs to one process — ` +
        `stop it, or set DATABASE_URL to use PostgreSQL for several processes${hint}`,
    );
    this.name = 'DatabaseInUseError';
    this.dataDir = dataDir;
    this.pid = pid;
    this.stack = `${this.name}: ${this.message}`;
  }
}

interface LockInfo {
  pid: number;
  startedAt: string;
  hostname: string;
}

/** Lock files this process holds: path → exact content written (so we only ever remove our own). */
const held = new Map<string, string>();
let exitHookInstalled = false;

export function releaseLock(lockPath: string): void {
  const mine = held.get(lockPath);
  if (mine === undefined) return;
  held.delete(lockPath);
  try {
    if (readFileSync(lockPath, 'utf8') === mine) unlinkSync(lockPath);
  } catch {
    // already gone (or unreadable): nothing of ours left to remove
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A normal exit (including process.exit after a start-up error) never leaves a lock behind.
  process.on('exit', () => {
    for (const p of [...held.keys()]) releaseLock(p);
  });
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null;
    if (v && typeof v === 'object' && Number.isInteger(v.pid) && (v.pid as number) > 0) {
      return { pid: v.pid as number, startedAt: String(v.startedAt ?? ''), hostname: String(v.hostname ?? '') };
    }
  } catch {
    // garbage
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(lockPath: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return ''; // unreadable: treated like garbage
  }
}


/**
 * Takes `<dataDir>/handoff.lock` exclusively (O_EXCL) or throws DatabaseInUseError. A lock left by a
 * dead process (kill -9) or one that is unreadable/garbage is taken over, once.
 */
export async function acquireLock(dataDir: string): Promise<string> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  if (held.has(lockPath)) throw new DatabaseInUseError(dataDir, process.pid);
  const content = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), hostname: hostname() } satisfies LockInfo);

  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(lockPath, content)) {
      held.set(lockPath, content);
      installExitHook();
      return lockPath;
    }
    let existing = readLock(lockPath);
    if (existing === undefined) continue; // vanished meanwhile: just retry the create
    let info = parseLock(existing);
    if (!info) {
      // Possibly a live owner between its create and its write: look once more before calling it garbage.
      await sleep(50);
      existing = readLock(lockPath);
      if (existing === undefined) continue;
      info = parseLock(existing);
    }
    if (info) {
      if (info.hostname && info.hostname !== hostname()) {
        // We cannot tell whether a process on another host is alive: never steal its lock.
        throw new DatabaseInUseError(dataDir, info.pid, info.hostname);
      }
      // Our own pid and not held by us: a previous incarnation that had the same pid (e.g. pid 1 in a container).
      if (info.pid !== process.pid && pidAlive(info.pid)) throw new DatabaseInUseError(dataDir, info.pid);
    }
    if (attempt > 0) break; // already took over once and lost a race
    // Stale or garbage: take over, but only if it is still the same file we judged.
    if (readLock(lockPath) !== existing) continue;
    try {
      unlinkSync(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const info = parseLock(readLock(lockPath) ?? '');
  throw new DatabaseInUseError(dataDir, info?.pid, info?.hostname);
}
