import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite, type Database } from '../../src/db/index.js';
import { DatabaseInUseError, LOCK_FILE } from '../../src/db/pglite.js';
import { repoRoot } from '../support/stripe-fixtures.js';

const dirs: string[] = [];
const open: Database[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'handoff-lock-'));
  dirs.push(d);
  return d;
};
const track = async (p: Promise<Database>) => {
  const db = await p;
  open.push(db);
  return db;
};
afterEach(async () => {
  for (const db of open.splice(0)) await db.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `code` (an ES module body with `openPglite` in scope) in a child node process. */
function child(code: string) {
  const mod = pathToFileURL(path.join(repoRoot, 'src/db/pglite.ts')).href;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { openPglite } = await import(${JSON.stringify(mod)});\n${code}`], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d.toString()));
  proc.stderr.on('data', (d) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const waitFor = async (text: string, ms = 30_000) => {
    const started = Date.now();
    while (!out.includes(text)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`child exited early: ${err}`);
      if (Date.now() - started > ms) throw new Error(`timed out waiting for ${text}: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { proc, exited, waitFor, stderr: () => err };
}

async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

describe('embedded PGlite data-dir lock', () => {
  it('rejects a second open of the same dir while the first is open, naming the pid; works again after close', async () => {
    const dir = tmp();
    const a = await openPglite(dir);
    const lock = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(typeof lock.startedAt).toBe('string');

    const second = openPglite(dir);
    await expect(second).rejects.toBeInstanceOf(DatabaseInUseError);
    await expect(openPglite(dir)).rejects.toThrow(`the embedded database at ${dir} is in use by process ${process.pid}`);
    const err = await openPglite(dir).then(
      () => new Error('unexpectedly opened twice'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/set DATABASE_URL to use PostgreSQL/);
    expect(err.message).not.toContain('\n'); // the CLI prints it at start-up: one line
    expect(err.stack).not.toContain('\n');
    // the failed attempts did not disturb the owner's lock or connection
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toEqual(lock);
    await a.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    await a.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    const b = await track(openPglite(dir));
    expect((await b.query<{ x: number }>('SELECT x FROM t')).rows).toEqual([{ x: 1 }]);
  });

  it('rejects when another live process holds the lock', async () => {
    const dir = tmp();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, startedAt: new Date().toISOString(), hostname: hostname() }));
      await expect(openPglite(dir)).rejects.toThrow(`in use by process ${sleeper.pid}`);
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('does not steal a lock held on another host', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), startedAt: new Date().toISOString(), hostname: `not-${hostname()}` }));
    await expect(openPglite(dir)).rejects.toThrow(/on host not-/);
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = tmp();
    const pid = await deadPid();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, startedAt: new Date().toISOString(), hostname: hostname() }));
    const db = await track(openPglite(dir));
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
  });

  it('takes over a garbage or empty lock file', async () => {
    for (const garbage of ['not json {', '']) {
      const dir = tmp();
      writeFileSync(path.join(dir, LOCK_FILE), garbage);
      const db = await openPglite(dir);
      expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      await db.close();
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    }
  });

  it('in-memory opens take no lock and are unaffected by each other', async () => {
    const a = await track(openPglite());
    const b = await track(openPglite());
    await a.exec('CREATE TABLE only_a (x int)');
    await expect(b.query('SELECT * FROM only_a')).rejects.toThrow();
  });

  it('across processes: held while the owner runs, released on a normal exit, taken over after kill -9', async () => {
    const dir = tmp();
    const lockPath = path.join(dir, LOCK_FILE);

    // A normal exit without close() still removes the lock (process 'exit' hook).
    const a = child(`const db = await openPglite(${JSON.stringify(dir)}); await db.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)'); console.log('open'); process.exit(0);`);
    expect((await a.exited).code).toBe(0);
    expect(existsSync(lockPath)).toBe(false);

    // While a live process owns the dir, this process cannot open it.
    const b = child(`const db = await openPglite(${JSON.stringify(dir)}); console.log('open'); setInterval(() => {}, 1000);`);
    try {
      await b.waitFor('open');
      await expect(openPglite(dir)).rejects.toThrow(`in use by process ${b.proc.pid}`);
    } finally {
      b.proc.kill('SIGKILL');
    }
    await b.exited;
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(b.proc.pid); // kill -9 left it behind

    // ...and a restart takes it over.
    const db = await track(openPglite(dir));
    expect((await db.query<{ x: number }>('SELECT x FROM t')).rows).toEqual([{ x: 1 }]);
  });

  it('releases the lock when PGlite fails to open', async () => {
    const dir = tmp();
    // A data dir PGlite cannot use: a PG_VERSION file with no cluster behind it.
    writeFileSync(path.join(dir, 'PG_VERSION'), 'not a version\n');
    const err = await openPglite(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DatabaseInUseError);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
