import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubspotEmulator, type HubspotEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, appEventRequest } from '../support/app.js';
import { useTestDb } from '../support/db.js';
import { spawnHandoff, type HandoffProcess } from '../support/process.js';
import { jobs, waitUntil } from '../support/wait.js';

/** PostgreSQL lets roles scale apart: `handoff migrate`, then web and two workers share one database. */
describe('handoff migrate, web and worker as separate processes on PostgreSQL', () => {
  const t = useTestDb('postgres');
  let hubspot: HubspotEmulator;
  const procs: HandoffProcess[] = [];
  beforeAll(async () => {
    // An empty database: `handoff migrate` must create every table itself.
    await t.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    hubspot = await startHubspotEmulator({ rateLimit: { max: 100_000, intervalMs: 10_000 } });
  });
  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await hubspot.close();
  });

  const env = () => ({
    DATABASE_URL: t.url!,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    HUBSPOT_ACCESS_TOKEN: hubspot.token,
    HUBSPOT_BASE_URL: hubspot.url,
    DISPATCH_POLL_MS: '100',
  });

  it('migrates alone, then a web process accepts and two workers deliver each effect once', async () => {
    const m = spawnHandoff(['migrate'], env());
    expect((await m.exited).code).toBe(0);
    expect(m.stdout()).toMatch(/applied migrations: 1/);
    const again = spawnHandoff(['migrate'], env());
    expect((await again.exited).code).toBe(0);
    expect(again.stdout()).toMatch(/up to date/);

    const web = spawnHandoff(['web'], env());
    const w1 = spawnHandoff(['worker'], env());
    const w2 = spawnHandoff(['worker'], env());
    procs.push(web, w1, w2);
    const [, url] = await web.waitFor(/listening on\s+(http:\/\/\S+)/);
    await w1.waitFor(/dispatcher/);
    await w2.waitFor(/dispatcher/);
    expect(w1.stdout()).not.toMatch(/listening on/);

    const N = 40;
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${url}/api/events`, appEventRequest({ id: `r${i}`, type: 'user.signed_up', customer: { email: `role${i}@example.com` } }) as RequestInit);
      expect(res.status).toBe(200);
    }
    await waitUntil(async () => (await jobs(t.db)).filter((j) => j.status === 'done').length === N, 30_000, 'jobs done');
    expect(hubspot.contacts.size).toBe(N);
    // Each effect ran once: one create per contact, and no job needed a second attempt.
    expect(hubspot.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts')).toHaveLength(N);
    expect((await jobs(t.db)).filter((j) => j.attempts !== 1)).toEqual([]);
    const workers = await t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM workers WHERE role = 'dispatcher'`);
    expect(workers.rows[0]!.n).toBe(2);
    expect((await fetch(`${url}/api/ready`)).status).toBe(200);

    for (const p of [web, w1, w2]) p.proc.kill('SIGTERM');
    for (const p of [web, w1, w2]) expect((await p.exited).code).toBe(0);
    const left = await t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM workers`);
    expect(left.rows[0]!.n).toBe(0); // workers deregister on graceful shutdown
  });
});
