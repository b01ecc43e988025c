import { describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import type { Connector, CustomerSnapshot, JobToRun } from '../../src/connectors/types.js';
import { connectorFingerprints, Dispatcher } from '../../src/dispatcher/index.js';
import { createMetrics } from '../../src/monitor/index.js';
import { captureLogger, testConfig } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';

/**
 * A job names the customer it was queued for; by the time it runs, that record may have been merged into another
 * (and that one into a third). The claim follows merged_into to the live record, so the connector sees the survivor's
 * current state and identities, never a tombstone's (claimJobs.sql, its `chain` and `snap`).
 */
describe.each(DB_KINDS)('a claimed job runs with its customer as it is now, after merges, on %s', (kind) => {
  const t = useTestDb(kind);

  it('jobs for a record merged once or twice, and for the survivor, all see the survivor; an unmerged customer sees itself', async () => {
    await t.db.exec(`
      INSERT INTO customers (id, email, name, lifecycle, support) VALUES
        ('cust-a', 'ann@example.com', 'Ann', 'paid', 'needs_support'),
        ('cust-solo', 'solo@example.com', NULL, 'trial', 'none');
      INSERT INTO customers (id, email, name, lifecycle, merged_into) VALUES ('cust-b', 'b@example.com', 'B', 'lead', 'cust-a');
      INSERT INTO customers (id, email, name, lifecycle, merged_into) VALUES ('cust-c', 'c@example.com', 'C', 'churned', 'cust-b');
      INSERT INTO identities (kind, value, customer_id) VALUES
        ('email', 'ann@example.com', 'cust-a'), ('stripe_customer', 'cus_ann', 'cust-a'), ('hubspot_contact', '901', 'cust-a'),
        ('email', 'solo@example.com', 'cust-solo');
      INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, max_attempts) VALUES
        ('webhook', 'probe', 'merged:c', 'cust-c', '{}', 3),
        ('webhook', 'probe', 'merged:b', 'cust-b', '{}', 3),
        ('webhook', 'probe', 'merged:a', 'cust-a', '{}', 3),
        ('webhook', 'probe', 'merged:solo', 'cust-solo', '{}', 3);
    `);
    const seen = new Map<string, CustomerSnapshot | null>();
    const recorder: Connector = {
      name: 'webhook',
      async run(job: JobToRun, customer: CustomerSnapshot | null) {
        seen.set(job.idempotencyKey, customer);
        return { status: 'done', result: {} };
      },
    };
    const config = testConfig({});
    const d = new Dispatcher({ db: t.db, connectors: new Map([['webhook', recorder]]), config: config.dispatcher, logger: captureLogger().logger, metrics: createMetrics(), ids: systemIds, fingerprints: connectorFingerprints(config) });
    await d.start();
    try {
      await waitUntil(async () => seen.size >= 4, 20_000, 'every job to run');
      await d.idle();
    } finally {
      await d.stop();
    }
    const ann = { id: 'cust-a', email: 'ann@example.com', name: 'Ann', lifecycle: 'paid', support: 'needs_support', identities: { email: 'ann@example.com', stripe_customer: 'cus_ann', hubspot_contact: '901' } };
    expect(seen.get('merged:c')).toEqual(ann);
    expect(seen.get('merged:b')).toEqual(ann);
    expect(seen.get('merged:a')).toEqual(ann);
    expect(seen.get('merged:solo')).toEqual({ id: 'cust-solo', email: 'solo@example.com', name: null, lifecycle: 'trial', support: 'none', identities: { email: 'solo@example.com' } });
    const { rows } = await t.db.query<{ status: string; n: number }>(`SELECT status, count(*)::integer AS n FROM jobs GROUP BY status`);
    expect(rows).toEqual([{ status: 'done', n: 4 }]);
  });
});
