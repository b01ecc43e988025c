import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { fromApp } from '../../src/events/index.js';
import { record } from '../../src/pipeline/index.js';
import { createTestDb, DB_KINDS, type TestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

describe.each(DB_KINDS)('NOTIFY wake-up hint on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(() => t.drop());

  it('fires once per committed event that queued a pending job, and not for one that queued none', async () => {
    let hints = 0;
    const unlisten = await t.db.listen('handoff_jobs', () => hints++);
    const deps = { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['hubspot'] as const), maxAttempts: 3 };
    await record(t.db, fromApp({ id: 'n1', type: 'user.signed_up', customer: { email: 'n@example.com' } }), {}, deps);
    await waitUntil(async () => hints === 1, 5000, 'one notification');
    // With no connector enabled the CRM job is recorded as skipped: nothing to wake a dispatcher for.
    await record(t.db, fromApp({ id: 'n2', type: 'support.resolved', customer: { email: 'n@example.com' } }), {}, { ...deps, enabledConnectors: new Set() });
    await new Promise((r) => setTimeout(r, 200));
    expect(hints).toBe(1);
    await unlisten();
  });
});
