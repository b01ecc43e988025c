import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait.js';
import { spawnHandoff as spawnChild, stopProcesses, type HandoffProcess } from '../support/process.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'handoff-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A test that fails before its own SIGTERM must not leave a server running (it would load every later test).
const children: HandoffProcess[] = [];
const spawnHandoff = (args: string[], env: Record<string, string>) => {
  const p = spawnChild(args, env);
  children.push(p);
  return p;
};
afterEach(() => stopProcesses(children));

describe('handoff start (a real process on a real port)', () => {
  it('runs with NO configuration, prints where it listens and one-off credentials, and stops cleanly on SIGTERM', async () => {
    const dataDir = path.join(tmp(), 'data');
    const p = spawnHandoff(['start'], { HANDOFF_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    const [, url] = await p.waitFor(/listening on\s+(http:\/\/\S+)/);
    await p.waitFor(/\n {2}clerk {9}/); // the banner's later lines: each is its own write, and can arrive later
    expect(p.stdout()).toContain(`embedded PGlite at ${dataDir}`);
    // Zero-config quick start: every connector talks to a local sandbox emulator.
    expect(p.stdout()).toMatch(/connectors\s+hubspot, zendesk, slack, email, webhook \(sandbox where not configured\)/);
    const [, hubspotInspect] = await p.waitFor(/HubSpot\s+(http:\/\/127\.0\.0\.1:\d+\/_sandbox\/requests)/);
    const [, apiKey] = await p.waitFor(/app API key[^:]*:\s+(hk_\S+)/);
    const [, adminToken] = await p.waitFor(/admin token[^:]*:\s+(\S+)/);

    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'first', type: 'user.signed_up', customer: { email: 'founder@example.com' } }),
    });
    expect(res.status).toBe(200);
    const customer = await fetch(`${url}/api/customers/founder@example.com`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(((await customer.json()) as { lifecycle: string }).lifecycle).toBe('lead');
    // The dispatcher runs in the same process and heartbeats.
    expect((await fetch(`${url}/api/ready`)).status).toBe(200);
    // The signup reached the sandbox CRM: the founder can read what would have been sent.
    const sent = await waitUntil(async () => {
      const { requests } = (await (await fetch(hubspotInspect!)).json()) as { requests: Array<{ method: string; path: string; body: unknown }> };
      return requests.find((r) => r.method === 'POST' && r.path.startsWith('/crm/v3/objects/contacts') && JSON.stringify(r.body).includes('founder@example.com'));
    });
    expect(sent).toBeTruthy();

    p.proc.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps its embedded database vacuumed and analysed (PGlite has no autovacuum)', async () => {
    const apiKey = 'hk_maintenance_test_key_0123456789';
    const p = spawnHandoff(['start', '--no-sandbox'], {
      HANDOFF_DATA_DIR: path.join(tmp(), 'data'),
      HANDOFF_API_KEY: apiKey,
      PGLITE_MAINTENANCE_MS: '300',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    });
    const [, url] = await p.waitFor(/listening on\s+(http:\/\/\S+)/);
    for (let i = 0; i < 80; i++) {
      const res = await fetch(`${url}/api/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `m${i}`, type: 'user.signed_up', customer: { email: `m${i}@example.com` } }),
      });
      expect(res.status).toBe(200);
    }
    // A pass that found the recorded events: one debug line naming what it analysed.
    const passes = () =>
      p.stdout().split('\n').filter((l) => l.includes('"msg":"database maintenance"')).map((l) => JSON.parse(l) as { analyzed: string[]; vacuumed: string[] });
    const pass = await waitUntil(async () => passes().find((m) => m.analyzed.includes('inbox_events')), 30_000, 'a maintenance pass over inbox_events');
    expect(pass.analyzed).toEqual(expect.arrayContaining(['customers', 'inbox_events']));
    p.proc.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('--no-sandbox starts with no connectors; --sandbox is refused in production', async () => {
    const off = spawnHandoff(['start', '--no-sandbox'], { HANDOFF_DATA_DIR: path.join(tmp(), 'data'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    await off.waitFor(/\n {2}clerk {9}/); // the banner through its connectors and clerk lines
    expect(off.stdout()).toMatch(/connectors\s+none/);
    expect(off.stdout()).not.toContain('sandbox');
    off.proc.kill('SIGTERM');
    expect((await off.exited).code).toBe(0);

    const prod = spawnHandoff(['start', '--sandbox'], {
      NODE_ENV: 'production',
      STRIPE_WEBHOOK_SECRET: 'whsec_prod_0123456789',
      HANDOFF_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      HANDOFF_DATA_DIR: tmp(),
      PORT: '0',
    });
    expect((await prod.exited).code).toBe(1);
    expect(prod.stderr()).toContain('--sandbox is refused when NODE_ENV=production');
  });

  it('exits non-zero with ONE message listing every configuration problem', async () => {
    const p = spawnHandoff(['start'], { NODE_ENV: 'production', ZENDESK_EMAIL: 'ops@example.com', HANDOFF_DATA_DIR: tmp() });
    const { code } = await p.exited;
    expect(code).toBe(1);
    const err = p.stderr();
    expect(err).toContain('invalid configuration');
    expect(err).toContain('Zendesk is partially configured');
    expect(err).toContain('STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production');
    expect(err).toContain('HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production');
    expect(err).not.toMatch(/at \S+ \(/); // a message, not a stack trace
  });

  it('a taken port stops start-up with one clear line, and leaves the data dir free', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = String((blocker.address() as AddressInfo).port);
    const dataDir = path.join(tmp(), 'data');
    try {
      const p = spawnHandoff(['start'], { HANDOFF_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      expect((await p.exited).code).toBe(1);
      expect(p.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(p.stderr()).not.toMatch(/at \S+ \(/);
      expect(existsSync(path.join(dataDir, 'handoff.lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('prints help', async () => {
    const p = spawnHandoff(['--help'], {});
    expect((await p.exited).code).toBe(0);
    expect(p.stdout()).toMatch(/Commands:[\s\S]*worker[\s\S]*migrate/);
  });
});
