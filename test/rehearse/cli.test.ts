import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, closedPort } from '../cli/cli.js';
import { ADMIN_TOKEN, API_KEY, STRIPE_SECRET, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { spawnHandoff, type HandoffProcess } from '../support/process.js';
import { DEFAULT_CREATED, repoRoot, stripeEvent } from '../support/stripe-fixtures.js';
import { buildHistory, envFor, scratchSchemas, startEmulators, type Emulators, type History } from './history.js';

const REFUND_CHURNS = path.join(repoRoot, 'examples/rehearse/refund-churns.json');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'handoff-rehearse-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * `handoff rehearse` in this process: on PGlite through the admin API of the server that owns the database,
 * on PostgreSQL directly (DATABASE_URL) and through the API. Same answers either way.
 */
describe.each(DB_KINDS)('handoff rehearse (CLI) on %s', (kind) => {
  const t = useTestDb(kind);
  let e: Emulators;
  let rt: TestApp;
  let h: History;

  beforeAll(async () => {
    e = await startEmulators();
    rt = await startTestApp(t, { web: true, worker: true, env: envFor(e) });
    h = await buildHistory(rt, t.db, e);
  }, 120_000);
  afterAll(async () => {
    await rt.close();
    await e.close();
  });

  const ways = () => [
    { via: `the admin API at ${rt.url}`, env: { HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, ...envFor(e) } },
    ...(kind === 'postgres' ? [{ via: 'PostgreSQL at', env: { DATABASE_URL: t.url!, ...envFor(e) } }] : []),
  ];

  it('without --config: the self-check, exit 0, "No differences"', async () => {
    for (const w of ways()) {
      const r = await cli(['rehearse', '--since', h.start.toISOString()], w.env);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`rehearsed on ${w.via}`);
      expect(r.out).toContain('Rehearsed the CURRENT configuration');
      expect(r.out).toContain('No differences: replaying the stored events reproduces every decision, customer state and effect.');
    }
  });

  it('the example candidate: exit 1, exactly alice, her refund\'s added effects, text and --json agree', async () => {
    for (const w of ways()) {
      const r = await cli(['rehearse', '--since', h.mid.toISOString(), '--config', REFUND_CHURNS], w.env);
      expect(r.code, r.err).toBe(1);
      expect(r.out).toContain('Customers whose state would differ (1), actual → rehearsed:\n  alice@example.com: paid → churned\n');
      expect(r.out).toContain(`Effects that would be ADDED (3):\n  alice@example.com: hubspot upsert_contact (crm_sync) for stripe charge.refunded ${h.aliceRefund}\n`);
      expect(r.out).not.toContain('DROPPED');
      const j = await cli(['rehearse', '--since', h.mid.toISOString(), '--config', REFUND_CHURNS, '--json'], w.env);
      expect(j.code).toBe(1);
      const report = j.json();
      expect(report.customers.map((c: { customer: { label: string } }) => c.customer.label)).toEqual(['alice@example.com']);
      expect(report.jobs.added.map((x: { idempotencyKey: string }) => x.idempotencyKey).sort()).toEqual(
        [`crm_sync:stripe:${h.aliceRefund}`, `slack_churned:stripe:${h.aliceRefund}`, `webhook:stripe:${h.aliceRefund}`].sort(),
      );
    }
    expect(await scratchSchemas(t.db)).toEqual([]);
  });

  it('a bad config file is exit 2 naming the bad field by its path, before anything runs', async () => {
    const file = path.join(tmp(), 'bad.json');
    writeFileSync(file, JSON.stringify({ rules: { change: { refund: { to: 'gone' } }, remove: ['refundd'] } }));
    for (const w of ways()) {
      const r = await cli(['rehearse', '--since', '7d', '--config', file], w.env);
      expect(r.code).toBe(2);
      expect(r.err).toContain('rules.change.refund.to: unknown lifecycle state "gone"');
      expect(r.out).toBe('');
    }
    const notJson = path.join(tmp(), 'broken.json');
    writeFileSync(notJson, '{"rules": ');
    expect((await cli(['rehearse', '--since', '7d', '--config', notJson], ways()[0]!.env)).err).toContain('is not valid JSON');
    expect((await cli(['rehearse', '--since', '7d', '--config', notJson], ways()[0]!.env)).code).toBe(2);
    expect((await cli(['rehearse', '--since', '7d', '--config', path.join(tmp(), 'missing.json')], ways()[0]!.env)).code).toBe(2);
    expect((await cli(['rehearse'], ways()[0]!.env)).code).toBe(2);
    expect((await cli(['rehearse', '--since', 'last week'], ways()[0]!.env)).code).toBe(2);
  });

  it('draws a progress bar on a TTY (stderr), never on stdout', async () => {
    const r = await cli(['rehearse', '--since', h.start.toISOString()], ways()[0]!.env, { tty: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/rehearsing \[[#.]+\] \d+\/\d+ events/);
    expect(r.out).not.toContain('rehearsing [');
  });
});

describe('handoff rehearse --help', () => {
  it('explains the file format, what the diff means and the exit codes', async () => {
    const r = await cli(['rehearse', '--help'], {});
    expect(r.code).toBe(0);
    for (const s of ['--since DATE', '--config FILE', '"rules": {"change"', 'hubspotLifecycleMap', 'Exit codes: 0 no differences, 1 differences found, 2 bad usage or config file', 'self-check']) {
      expect(r.out).toContain(s);
    }
  });
});

describe('handoff rehearse against a real PGlite server process', () => {
  let server: HandoffProcess | undefined;
  afterEach(async () => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
  });

  /** Runs one CLI command as its own process. */
  async function run(args: string[], env: Record<string, string>) {
    const p = spawnHandoff(args, env);
    const { code } = await p.exited;
    return { code, out: p.stdout(), err: p.stderr() };
  }

  it('goes through the admin API of the server that owns the embedded database; the lock never changes hands', async () => {
    const dataDir = path.join(tmp(), 'data');
    const port = String(await closedPort());
    const env = { HANDOFF_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, HANDOFF_API_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET };
    server = spawnHandoff(['start'], { ...env, LOG_LEVEL: 'info' });
    const [, url] = await server.waitFor(/listening on\s+(http:\/\/\S+)/, 120_000);
    const post = async (p: string, init: RequestInit) => expect((await fetch(`${url}${p}`, init)).status).toBe(200);
    await post('/api/events', appEventRequest({ id: 'sig-1', type: 'user.signed_up', customer: { email: 'zoe@example.com' } }));
    await post('/api/webhooks/stripe', stripeRequest(stripeEvent('invoice.paid', 'invoice', { id: 'in_zoe', customer: 'cus_zoe', customer_email: 'zoe@example.com', amount_paid: 4900, subscription: null, parent: null }, { created: DEFAULT_CREATED + 60 })));
    const refund = stripeEvent('charge.refunded', 'charge', { id: 'ch_zoe', customer: 'cus_zoe', billing_details: { email: 'zoe@example.com' }, receipt_email: null }, { created: DEFAULT_CREATED + 120 });
    await post('/api/webhooks/stripe', stripeRequest(refund));

    // No HANDOFF_URL: the CLI finds the local server because it owns the database.
    const self = await run(['rehearse', '--since', '1d'], env);
    expect(self.code, self.err).toBe(0);
    expect(self.err).toContain(`rehearsed on the admin API at http://127.0.0.1:${port}`);
    expect(self.out).toContain('No differences');

    const changed = await run(['rehearse', '--since', '1d', '--config', REFUND_CHURNS], env);
    expect(changed.code, changed.err).toBe(1);
    expect(changed.out).toContain('zoe@example.com: paid → churned');
    expect(changed.out).toContain(`zoe@example.com: slack notify (slack_churned) for stripe charge.refunded ${refund.id}`);

    const bad = path.join(tmp(), 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: { add: [{ name: 'x', on: ['charge.refunded'], from: 'any', effects: ['fax'] }] } }));
    const refused = await run(['rehearse', '--since', '1d', '--config', bad], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('rules.add.0.effects.0: unknown effect "fax"');

    await server.waitFor(/"path":"\/api\/admin\/rehearse"/, 10_000); // the access log: buffered, out within a second
    await server.waitFor(/rehearsal finished/, 10_000);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'handoff.lock'), 'utf8')).pid).toBe(server.proc.pid);

    // With the server stopped, the command opens the embedded database itself (and releases it).
    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const direct = await run(['rehearse', '--since', '1d', '--config', REFUND_CHURNS, '--json'], env);
    expect(direct.code, direct.err).toBe(1);
    expect(direct.err).toContain(`rehearsed on embedded PGlite at ${dataDir}`);
    expect(JSON.parse(direct.out).customers).toEqual([expect.objectContaining({ actual: { lifecycle: 'paid', support: 'none' }, rehearsed: { lifecycle: 'churned', support: 'none' } })]);
    expect(existsSync(path.join(dataDir, 'handoff.lock'))).toBe(false);
  }, 240_000);
});
