import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, STRIPE_TEST_KEY, type StripeEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { truncateAll, useTestDb } from '../support/db.js';
import { spawnHandoff, type HandoffProcess } from '../support/process.js';
import { waitUntil } from '../support/wait.js';
import { cli, closedPort } from '../cli/cli.js';
import { stripeAccount } from '../stripe-api/objects.js';
import { lifecycleOf } from './support.js';

/**
 * `handoff backfill stripe` as a real process: through the admin API of the server that owns an embedded
 * PGlite database, directly on PostgreSQL (including a SIGKILL mid-run and the resume), and its refusals.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const procs: HandoffProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.proc.exitCode === null && p.proc.signalCode === null) {
      p.proc.kill('SIGTERM');
      await p.exited;
    }
  }
});

async function run(args: string[], env: Record<string, string>) {
  const p = spawnHandoff(args, env);
  procs.push(p);
  const { code } = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('handoff backfill stripe (command line)', () => {
  let stripe: StripeEmulator;
  beforeAll(async () => {
    stripe = await startStripeEmulator(stripeAccount(8));
    return () => stripe.close();
  });

  it('--help explains it; a wrong source or --since is a usage error (exit 2)', async () => {
    const help = await cli(['backfill', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: handoff backfill stripe [--since DATE] [--sync-crm] [--restart]');
    expect(help.out).toContain('STRIPE_SECRET_KEY');
    expect(help.out).toContain('resumes where it stopped');
    expect((await cli(['backfill', 'paypal'], {})).code).toBe(2);
    const since = await cli(['backfill', 'stripe', '--since', 'last tuesday'], {});
    expect(since.code).toBe(2);
    expect(since.err).toContain('since must be a date');
  });

  it('with a PGlite server running, goes through its admin API; twice changes nothing', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'handoff-backfill-')), 'data');
    dirs.push(path.dirname(dataDir));
    const port = String(await closedPort());
    const env = { HANDOFF_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN };
    const server = spawnHandoff(['start'], { ...env, LOG_LEVEL: 'info', STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_BASE_URL: stripe.url });
    procs.push(server);
    await server.waitFor(/listening on\s+(http:\/\/\S+)/, 120_000);

    // The CLI has no STRIPE_SECRET_KEY of its own: the server reads Stripe with its key.
    const first = await run(['backfill', 'stripe', '--since', '2025-12-01', '--json'], env);
    expect(first.code, first.err).toBe(0);
    const out = JSON.parse(first.out) as { via: string; resumed: boolean; run: { status: string; counts: Record<string, Record<string, number>> } };
    expect(out.via).toBe(`the admin API at http://127.0.0.1:${port}`);
    expect(out.run.status).toBe('done');
    expect(out.run.counts.subscriptions).toMatchObject({ seen: 8, applied: 8 });
    await server.waitFor(/"path":"\/api\/admin\/backfill"/, 10_000); // the access log: buffered, out within a second

    // Second run in this process (same code path, faster), on a "terminal": the progress line shows counts per kind.
    const second = await cli(['backfill', 'stripe', '--since', '2025-12-01'], env, { tty: true });
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain('\r\x1b[Kbackfill stripe: customers 8 ✓ · subscriptions 8 ✓ · invoices 6 ✓');
    expect(second.out).toContain('subscriptions 8 read: 0 applied, 0 stale, 0 ignored, 8 duplicate, 0 skipped');
    expect(second.out).toContain('customers     0 created, 0 changed');
    expect(second.out).toMatch(/^done in /m);
  });

  describe('directly on PostgreSQL', () => {
    const t = useTestDb('postgres');

    it('records the state; a bad key fails with a clear message and exit 1', async () => {
      await truncateAll(t.db);
      const env = { DATABASE_URL: t.url!, STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_BASE_URL: stripe.url };
      const ok = await run(['backfill', 'stripe', '--since', '30d'], env);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err).toContain('through PostgreSQL');
      expect(ok.out).toContain('subscriptions 8 read: 8 applied');
      expect(await lifecycleOf(t.db, 'cus_bf_002')).toBe('past_due');

      const bad = await run(['backfill', 'stripe'], { ...env, STRIPE_SECRET_KEY: 'sk_test_wrong_key_for_this_0000' });
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('Stripe refused STRIPE_SECRET_KEY (HTTP 401');
      expect(bad.err).toContain('fix: set STRIPE_SECRET_KEY');
      expect(bad.err + bad.out).not.toContain('wrong_key_for_this');

      const none = await run(['backfill', 'stripe'], { DATABASE_URL: t.url! });
      expect(none.code).toBe(1);
      expect(none.err).toContain('STRIPE_SECRET_KEY is not set');
    });

    it('Ctrl-C stops at a checkpoint, SIGKILL mid-run leaves a dead owner; the next run resumes from the stored cursor', async () => {
      await truncateAll(t.db);
      const big = await startStripeEmulator(stripeAccount(250));
      try {
        // Every Stripe answer takes 300 ms: the run is still going when it is stopped.
        big.faults.failFor(600_000, { kind: 'delay', ms: 300 });
        const env = { DATABASE_URL: t.url!, STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_BASE_URL: big.url };
        const checkpoint = (kind: string, seen: number) =>
          waitUntil(async () => {
            const { rows } = await t.db.query<{ starting_after: string; seen: number }>('SELECT starting_after, seen FROM backfill_cursors WHERE kind = $1 AND seen >= $2', [kind, seen]);
            return rows[0];
          }, 60_000, `a ${kind} checkpoint`);

        const interrupted = spawnHandoff(['backfill', 'stripe', '--since', '2025-12-01'], env);
        procs.push(interrupted);
        await checkpoint('customers', 100);
        interrupted.proc.kill('SIGINT');
        expect((await interrupted.exited).code).toBe(1);
        expect(interrupted.stderr()).toContain('backfill interrupted');
        expect(interrupted.stderr()).toContain('fix: run the same command again to resume');
        expect((await t.db.query('SELECT status FROM backfill_runs')).rows).toEqual([{ status: 'interrupted' }]);

        const victim = spawnHandoff(['backfill', 'stripe'], env);
        procs.push(victim);
        await checkpoint('subscriptions', 100);
        victim.proc.kill('SIGKILL');
        await victim.exited;
        const cursor = await checkpoint('subscriptions', 100); // as the dead process left it
        const { rows } = await t.db.query<{ status: string }>('SELECT status FROM backfill_runs');
        expect(rows).toEqual([{ status: 'running' }]); // a killed process cannot say goodbye; its pid is gone

        big.faults.clear();
        big.requests.length = 0;
        const resumed = await run(['backfill', 'stripe', '--json'], env);
        expect(resumed.code, resumed.err).toBe(0);
        const out = JSON.parse(resumed.out) as { resumed: boolean; run: { status: string; cursors: Record<string, { seen: number }> } };
        expect(out.resumed).toBe(true);
        expect(out.run.status).toBe('done');
        expect(big.requests.some((r) => r.path.startsWith('/v1/customers?') && r.path.includes('limit=100'))).toBe(false); // customers were complete
        const firstSubscriptionsPage = big.requests.find((r) => r.path.startsWith('/v1/subscriptions?'))!;
        expect(decodeURIComponent(firstSubscriptionsPage.path)).toContain(`starting_after=${cursor.starting_after}`);
        expect(out.run.cursors.customers!.seen).toBe(250);
        expect(out.run.cursors.subscriptions!.seen).toBe(250);
        const customers = await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM customers');
        expect(customers.rows[0]!.n).toBe(250);
      } finally {
        await big.close();
      }
    });
  });
});
