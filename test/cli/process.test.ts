import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, API_KEY, appEventRequest } from '../support/app.js';
import { spawnHandoff, stopProcesses, type HandoffProcess } from '../support/process.js';
import { closedPort } from './cli.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'handoff-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs one CLI command as its own process and waits for it. */
async function run(args: string[], env: Record<string, string>) {
  const p = spawnHandoff(args, env);
  const { code } = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

/**
 * Embedded PGlite belongs to the one process that opened it. With real processes: a data command finds
 * the server that owns the database and goes through its admin API; with a process that owns it but
 * serves no HTTP, it explains how to fix that; with nothing running, it opens the database itself.
 */
describe('data commands and the embedded database owned by another process', () => {
  const procs: HandoffProcess[] = [];
  afterEach(() => stopProcesses(procs));

  it('while a PGlite server runs, jobs, keys, trace and doctor go through its admin API; with it stopped, they open the database', async () => {
    const dataDir = path.join(tmp(), 'data');
    const port = String(await closedPort());
    const env = { HANDOFF_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, HANDOFF_API_KEY: API_KEY };
    const server = spawnHandoff(['start'], { ...env, LOG_LEVEL: 'info' });
    procs.push(server);
    const [, url] = await server.waitFor(/listening on\s+(http:\/\/\S+)/, 120_000);
    expect((await fetch(`${url}/api/events`, appEventRequest({ id: 'p1', type: 'user.signed_up', customer: { email: 'proc@example.com' } }))).status).toBe(200);
    const lock = JSON.parse(readFileSync(path.join(dataDir, 'handoff.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(server.proc.pid);

    // No HANDOFF_URL: the CLI finds the server at 127.0.0.1:$PORT because the database is locked by it.
    const created = await run(['keys', 'create', '--name', 'from the cli', '--scope', 'events:write'], env);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect((await fetch(`${url}/api/events`, appEventRequest({ id: 'p2', type: 'user.signed_up', customer: { email: 'proc@example.com' } }, key))).status).toBe(200);

    const jobs = await run(['jobs'], env);
    expect(jobs.code).toBe(0);
    expect(jobs.err).toContain(`from the admin API at http://127.0.0.1:${port}`);
    const trace = await run(['trace', 'proc@example.com', '--json'], env);
    expect(trace.code).toBe(0);
    expect(JSON.parse(trace.out).events.map((e: { id: string }) => e.id)).toEqual(['p1', 'p2']);
    const doctor = await run(['doctor'], env);
    expect(doctor.out).toContain(`✓ database                     embedded PGlite at ${dataDir} answers (through the admin API at http://127.0.0.1:${port})`);
    // The server's own access log shows the calls (written within a second: logs are buffered); the lock never changed hands.
    for (const route of ['/api/admin/keys', '/api/admin/jobs', '/api/customers/proc%40example.com', '/api/admin/status']) {
      await server.waitFor(new RegExp(`"path":"${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`), 10_000);
    }
    expect(JSON.parse(readFileSync(path.join(dataDir, 'handoff.lock'), 'utf8')).pid).toBe(server.proc.pid);

    const migrate = await run(['migrate'], env);
    expect(migrate.code).toBe(3);
    expect(migrate.err).toContain(`is in use by process ${server.proc.pid}`);
    expect(migrate.err).toContain('fix: a running Handoff applied its migrations when it started');

    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(existsSync(path.join(dataDir, 'handoff.lock'))).toBe(false);

    // Nothing runs now: the command opens the embedded database itself (and releases it).
    const direct = await run(['keys', 'list', '--json'], env);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.out).keys.map((k: { name: string }) => k.name)).toContain('from the cli');
    expect(existsSync(path.join(dataDir, 'handoff.lock'))).toBe(false);
  }, 300_000);

  it('a process that holds the database without HTTP (handoff worker): the command says exactly what to do', async () => {
    const dataDir = path.join(tmp(), 'data');
    const port = String(await closedPort());
    const env = { HANDOFF_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' };
    const worker = spawnHandoff(['worker'], env);
    procs.push(worker);
    await worker.waitFor(/Handoff dispatcher/, 120_000);

    const r = await run(['jobs', '--status', 'dead'], env);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      `the embedded database at ${dataDir} is in use by process ${worker.proc.pid}, and no Handoff server answered at http://127.0.0.1:${port} (connection refused)`,
    );
    expect(r.err).toMatch(/fix: embedded PGlite belongs to the process that opened it, so this command must go through that server's admin API: set HANDOFF_URL to its address and HANDOFF_ADMIN_TOKEN/);
    expect(r.err).toContain('set DATABASE_URL to use PostgreSQL');
    expect(r.err).not.toMatch(/\n\s+at \S+ \(/); // a message, not a stack trace

    const json = await run(['keys', 'list', '--json'], env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out)).toMatchObject({ error: 'unreachable', message: expect.stringContaining(`in use by process ${worker.proc.pid}`) });
  }, 300_000);

  it('nothing running and no database yet: says so and how to start', async () => {
    const dataDir = path.join(tmp(), 'never-created');
    const port = String(await closedPort());
    const r = await run(['trace', 'x@example.com'], { HANDOFF_DATA_DIR: dataDir, PORT: port });
    expect(r.code).toBe(3);
    expect(r.err).toContain(`no Handoff server answered at http://127.0.0.1:${port} (connection refused), and there is no embedded database at ${dataDir}`);
    expect(r.err).toContain('fix: start Handoff (npx handoff start)');
    expect(existsSync(dataDir)).toBe(false); // a read never creates a database
  }, 120_000);

  it('every command has --help; unknown commands and options are usage errors (exit 2)', async () => {
    const top = await run(['--help'], {});
    expect(top.code).toBe(0);
    for (const name of ['doctor', 'replay', 'trace', 'jobs', 'jobs retry', 'keys create', 'keys list', 'keys revoke', 'migrate']) expect(top.out).toContain(`  ${name} `);
    const help = await run(['jobs', 'retry', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: handoff jobs retry <id> | --all-dead [--connector NAME]');
    expect((await run(['frobnicate'], {})).code).toBe(2);
    const bad = await run(['doctor', '--frob'], {});
    expect([bad.code, bad.err.split('\n')[0]]).toEqual([2, "Unknown option '--frob'"]);
  }, 300_000);
});
