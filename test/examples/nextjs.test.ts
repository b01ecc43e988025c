import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubspotEmulator, type HubspotEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, adminHeaders, appEventRequest, STRIPE_SECRET, stripeRequest } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { loadFixtureEvent, repoRoot } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';

/**
 * examples/nextjs, built and served the way a user runs it: `npm ci` (which installs handoff from this
 * repository as a real package copy of its dist/), `next build`, `next start`, then
 * `handoff worker` from the app's own node_modules. PostgreSQL only: the library refuses embedded PGlite
 * inside a web framework (test/examples/library.test.ts covers both databases through the library).
 * Slow by nature (an npm install and a production Next.js build): the figures are printed, not asserted.
 */
const exampleDir = path.join(repoRoot, 'examples', 'nextjs');
const nextBin = path.join(exampleDir, 'node_modules', 'next', 'dist', 'bin', 'next');
/** The app's own `handoff` command (npm's bin link), as `npx handoff worker` runs it. */
const handoffBin = path.join(exampleDir, 'node_modules', '.bin', 'handoff');
const CRON_SECRET = 'cron-secret-0123456789abcdef';

interface Proc {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts a command in its own process group, so the whole group (npm's or Next's children too) can be stopped by its id. */
function start(cmd: string, args: string[], env: Record<string, string>, cwd = exampleDir): Proc {
  const proc = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (p?.proc.pid !== undefined && p.proc.exitCode === null && p.proc.signalCode === null) {
    try {
      process.kill(-p.proc.pid, signal);
    } catch {
      // the group is already gone
    }
  }
}

/** Runs a command to completion; a failure shows the tail of its output. Returns the elapsed seconds. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = exampleDir): Promise<number> {
  const t0 = Date.now();
  const p = start(cmd, args, env, cwd);
  const code = await p.exited;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${p.output().slice(-4000)}`);
  return (Date.now() - t0) / 1000;
}

/** Newest modification time under `dir` (files only), in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The example installs a copy of this package, so dist/ must be current first. CI's `npm ci` has just
 * built it (prepare); locally it is rebuilt when any source file is newer.
 */
async function ensureBuilt(npm: string): Promise<string> {
  const entry = path.join(repoRoot, 'dist', 'index.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(path.join(repoRoot, 'src'))) return 'dist current';
  return `npm run build ${(await run(npm, ['run', 'build'], {}, repoRoot)).toFixed(1)} s`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('examples/nextjs: Handoff inside a Next.js App Router app', () => {
  let t: TestDb;
  let hubspot: HubspotEmulator;
  let next: Proc | undefined;
  let worker: Proc | undefined;
  let base = '';
  let env: Record<string, string> = {};
  const timings: string[] = [];

  beforeAll(async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    timings.push(await ensureBuilt(npm));
    // --ignore-scripts: dist/ is built above, so packing the repository need not run its `prepare` again.
    timings.push(`npm ci ${(await run(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'])).toFixed(1)} s`);
    timings.push(`next build ${(await run(process.execPath, [nextBin, 'build'])).toFixed(1)} s`);

    t = await createTestDb('postgres');
    hubspot = await startHubspotEmulator({ rateLimit: { max: 100_000, intervalMs: 10_000 } });
    env = {
      DATABASE_URL: t.url!,
      LOG_LEVEL: 'warn',
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
      HANDOFF_API_KEY: API_KEY,
      HUBSPOT_ACCESS_TOKEN: hubspot.token,
      HUBSPOT_BASE_URL: hubspot.url,
      CRON_SECRET,
      DISPATCH_POLL_MS: '50',
    };
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    next = start(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], env);
    const n = next;
    await waitUntil(
      async () => {
        if (n.proc.exitCode !== null) throw new Error(`next start exited with ${n.proc.exitCode}:\n${n.output()}`);
        return (await fetch(`${base}/api/health`).catch(() => undefined))?.status === 200;
      },
      60_000,
      'next start to serve /api/health',
    );
    timings.push(`next start → first /api/health ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    stop(worker, 'SIGKILL');
    stop(next);
    if (next) await Promise.race([next.exited, new Promise((r) => setTimeout(r, 5000))]);
    stop(next, 'SIGKILL');
    await hubspot?.close();
    await t?.drop();
    console.log(`examples/nextjs: ${timings.join(', ')}`);
  });

  const inboxCount = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events')).rows[0]!.n);

  it('serves health, verifies a real Stripe delivery, refuses a forged one, accepts an app event and shows the customer', async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const evt = loadFixtureEvent('checkout_session_completed');
    const ok = await fetch(`${base}/api/webhooks/stripe`, stripeRequest(evt));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ received: true, duplicate: false });
    const { rows } = await t.db.query<{ type: string }>('SELECT type FROM inbox_events WHERE source = $1 AND event_id = $2', ['stripe', evt.id]);
    expect(rows).toEqual([{ type: evt.type }]);

    const before = await inboxCount();
    const forged = await fetch(`${base}/api/webhooks/stripe`, stripeRequest({ ...evt, id: 'evt_forged_nextjs' }, { secret: 'whsec_not_the_right_secret_000000' }));
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: string }).error).toBe('invalid_signature');
    expect(await inboxCount()).toBe(before);

    const email = 'next-cron@example.com';
    const sent = await fetch(`${base}/api/events`, appEventRequest({ id: 'next-1', type: 'user.signed_up', customer: { email } }));
    expect(sent.status).toBe(200);
    const customer = await fetch(`${base}/api/customers/${encodeURIComponent(email)}`, { headers: adminHeaders });
    expect(customer.status).toBe(200);
    expect(JSON.stringify(await customer.json())).toContain(email);
    expect((await fetch(`${base}/api/customers/${encodeURIComponent(email)}`)).status).toBe(401);
    // No dispatcher runs inside Next.js: the contact waits for the cron route or the worker.
    expect(hubspot.contacts.has(email)).toBe(false);
  });

  it('delivers queued effects from the cron route, which only answers its secret', async () => {
    expect((await fetch(`${base}/api/cron/dispatch`)).status).toBe(401);
    expect((await fetch(`${base}/api/cron/dispatch`, { headers: { authorization: 'Bearer wrong-secret-0123456789abcdef' } })).status).toBe(401);
    const res = await fetch(`${base}/api/cron/dispatch`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ drained: true, due: 0, running: 0 });
    expect(hubspot.contacts.has('next-cron@example.com')).toBe(true);
  });

  it('delivers effects through `handoff worker` run from the app', async () => {
    const email = 'next-worker@example.com';
    const sent = await fetch(`${base}/api/events`, appEventRequest({ id: 'next-2', type: 'user.signed_up', customer: { email } }));
    expect(sent.status).toBe(200);
    worker = start(handoffBin, ['worker'], env);
    const w = worker;
    await waitUntil(
      async () => {
        if (w.proc.exitCode !== null) throw new Error(`handoff worker exited with ${w.proc.exitCode}:\n${w.output()}`);
        return hubspot.contacts.has(email);
      },
      60_000,
      'the worker to create the HubSpot contact',
    );
    stop(w);
    expect(await w.exited).toBe(0);
  });
});
