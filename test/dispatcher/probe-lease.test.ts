import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHubspotEmulator, type HubspotEmulator } from '../emulators/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled, waitUntil } from '../support/wait.js';
import { connectorState, probeNow, queueJobs } from './gate-support.js';

/**
 * A probe is ONE job while its connector is open, for as long as it runs. A HubSpot upsert is several
 * provider calls, so a probe can outlive one lease (JOB_LEASE_MS only bounds a single call); the heartbeat
 * renews the probe's lease with its job's, or a second probe would start beside the first once the lease
 * ran out (and a third, one lease later, against a provider that is still recovering).
 */
describe.each(DB_KINDS)('a slow probe keeps its lease on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let hubspot: HubspotEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    hubspot = await startHubspotEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await hubspot.close();
  });

  it('a probe slower than JOB_LEASE_MS stays the only job run until it settles', async () => {
    hubspot.faults.failFor(600_000, { status: 503 });
    await queueJobs(t.db, 'hubspot', 3);
    rt = await startTestApp(t, {
      worker: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: hubspot.token,
        HUBSPOT_BASE_URL: hubspot.url,
        CIRCUIT_FAILURE_THRESHOLD: '1',
        CIRCUIT_COOLDOWN_MS: '600000',
        RETRY_BASE_MS: '1',
        JOB_LEASE_MS: '1500', // heartbeat every 500 ms
        HTTP_TIMEOUT_MS: '1400',
        DISPATCH_POLL_MS: '50',
      },
    });
    await waitUntil(async () => (await connectorState(t.db, 'hubspot'))?.status === 'open', 20_000, 'the circuit to open');
    await waitUntil(async () => rt!.logLines.some((l) => /"state":"open"/.test(l)), 5_000, 'the circuit to be logged open');
    const probesBefore = rt.logLines.filter((l) => /connector probe/.test(l)).length;
    const callsBefore = hubspot.requests.length;

    // Provider back but slow: every call answers 800 ms late, so the probe (≥ 2 calls) outlives its 1.5 s lease.
    hubspot.faults.clear();
    hubspot.faults.failFor(600_000, { kind: 'delay', ms: 800 });
    await probeNow(t.db, 'hubspot');
    await waitUntil(async () => (await connectorState(t.db, 'hubspot'))?.status === 'closed', 20_000, 'the probe to close the circuit');

    // The circuit closes as the probe settles, just before its completion is written.
    const probeEnd = await waitUntil(async () => {
      const { rows } = await t.db.query<{ finished_at: Date | null }>(`SELECT min(finished_at) AS finished_at FROM jobs WHERE connector = 'hubspot' AND status = 'done'`);
      return rows[0]?.finished_at?.getTime();
    }, 10_000, 'the probe\'s completion');
    // Each of the probe's calls arrived at least 800 ms before it ended; later jobs start only after it settled.
    const during = hubspot.requests.slice(callsBefore).filter((r) => r.at < probeEnd - 700);
    // The probe's calls span more than one lease: the case under test really happened.
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.at(-1)!.at - during[0]!.at + 800).toBeGreaterThan(1500);
    // ONE probe was claimed, and every call while it ran was about one contact.
    expect(rt.logLines.filter((l) => /connector probe/.test(l)).length - probesBefore).toBe(1);
    const contacts = new Set(during.map((r) => JSON.stringify(r.body ?? '') + r.path).flatMap((s) => s.match(/hubspot-\d+(@|%40)example\.com/g) ?? []).map((e) => e.replace('%40', '@')));
    expect(contacts.size).toBe(1);

    // Then the backlog drains, each job once.
    const done = await settled(t.db);
    expect(done.map((j) => j.status)).toEqual(['done', 'done', 'done']);
    expect(hubspot.contacts.size).toBe(3);
  });
});
