import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { spawnHandoff } from '../support/process.js';
import { settled } from '../support/wait.js';
import { paidCustomer, providerEnv, startProviders, type DriftReportJson, type Providers } from './support.js';

/** Runs `handoff …` as its own process (the real binary from the sources) and waits for it. */
async function run(args: string[], env: Record<string, string>) {
  const p = spawnHandoff(args, env);
  const { code } = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

/**
 * `handoff reconcile` against a running server (its admin API: the way for an embedded database) in a
 * real process, and on PostgreSQL directly: exit 1 while drift is left, 0 once healed or when there is none.
 */
describe.each(DB_KINDS)('handoff reconcile on %s', (kind) => {
  const t = useTestDb(kind);
  let p: Providers;
  let rt: TestApp;

  beforeAll(async () => {
    p = await startProviders();
    rt = await startTestApp(t, { web: true, worker: true, env: providerEnv(p) });
  });
  afterAll(async () => {
    await rt?.close();
    await p?.close();
  });

  it('through the server\'s admin API, as a real process: reports (exit 1), fixes (exit 0), then finds nothing (exit 0)', async () => {
    const { email } = await paidCustomer(rt, p, `cli${kind}`);
    p.hub.edit(email, { handoff_lifecycle: 'lead' });
    const env = { HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' };

    const found = await run(['reconcile', '--json'], env);
    expect(found.code, found.err).toBe(1);
    const { via, report } = JSON.parse(found.out) as { via: string; report: DriftReportJson };
    expect(via).toBe(`the admin API at ${rt.url}`);
    expect(report.entries).toEqual([expect.objectContaining({ email, field: 'handoff_lifecycle', handoffValue: 'paid', providerValue: 'lead', cause: 'manual_crm_edit' })]);

    const fixed = await run(['reconcile', '--fix'], env);
    expect(fixed.code, fixed.err).toBe(0);
    expect(fixed.out).toContain(`${email}  hubspot  handoff_lifecycle  handoff paid / hubspot lead  manual crm edit`);
    expect(fixed.out).toContain('1 difference for 1 customer: 1 fixed, 0 left');
    await settled(t.db);
    expect(p.hub.contacts.get(email)?.properties.handoff_lifecycle).toBe('paid');

    const clean = await cli(['reconcile'], env);
    expect(clean.code, clean.err).toBe(0);
    expect(clean.out).toBe('no drift\n');
    expect(clean.err).toContain('against stripe, hubspot, zendesk');
  }, 180_000);

  it('usage and unknown customers: exit 2 for bad flags, 1 with the server\'s message', async () => {
    const env = { HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN };
    expect((await cli(['reconcile', '--limit', '0'], env)).code).toBe(2);
    const help = await cli(['reconcile', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--fix');
    const unknown = await cli(['reconcile', '--customer', 'nobody@example.com'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no customer "nobody@example.com"');
    const refused = await cli(['reconcile'], { HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: 'wrong-token-0123456789' });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('refused the admin token');
  });

  it.runIf(kind === 'postgres')('with DATABASE_URL the command compares on the database directly', async () => {
    const { email } = await paidCustomer(rt, p, 'direct');
    p.hub.edit(email, { handoff_support: 'needs_support' });
    const env = { ...providerEnv(p), DATABASE_URL: t.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN };
    const r = await cli(['reconcile', '--customer', email, '--json'], env);
    expect(r.code, r.err).toBe(1);
    const { via, report } = r.json<{ via: string; report: DriftReportJson }>();
    expect(via).toContain('PostgreSQL');
    expect(report).toMatchObject({ trigger: 'cli', partial: true, customersChecked: 1 });
    expect(report.entries.map((e) => [e.field, e.handoffValue, e.providerValue])).toEqual([['handoff_support', 'none', 'needs_support']]);
  });
});
