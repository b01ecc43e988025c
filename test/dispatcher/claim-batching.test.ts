import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { createConnectors } from '../../src/connectors/index.js';
import { sql, type Database } from '../../src/db/index.js';
import { connectorFingerprints, Dispatcher } from '../../src/dispatcher/index.js';
import { fromStripe } from '../../src/events/index.js';
import { createMetrics } from '../../src/monitor/index.js';
import { record } from '../../src/pipeline/index.js';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { captureLogger, testConfig } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';

const JOBS = 96;
const CONCURRENCY = 16;

/**
 * A backlog at full concurrency: each finishing job frees ONE slot. Claiming on every such wake-up made one
 * claim per job (measured on PGlite: 2,939 claims for 3,000 Slack jobs, 3.3 ms each, the single connection
 * busy with claims); the dispatcher now lets slots free for up to DISPATCH_CLAIM_GAP_MS and claims them together.
 */
describe.each(DB_KINDS)('dispatcher claims in batches under a backlog on %s', (kind) => {
  const t = useTestDb(kind);
  let slack: SlackEmulator;
  beforeAll(async () => {
    slack = await startSlackEmulator();
  });
  afterAll(async () => {
    await slack.close();
  });

  /** Queues JOBS alerts (a tag keeps runs apart), drains them with Slack answering in ~10 ms; returns the claims made. */
  async function drainBacklog(tag: string, gapMs: number): Promise<number> {
    for (let i = 0; i < JOBS; i++) {
      const evt = stripeEvent('invoice.payment_failed', 'invoice', { id: `in_${tag}_${i}`, customer: `cus_${tag}_${i}`, customer_email: `${tag}${i}@example.com`, subscription: null, parent: null });
      await record(t.db, fromStripe(evt), evt, { clock: systemClock, ids: systemIds, enabledConnectors: new Set(['slack']), maxAttempts: 5 });
    }
    slack.messages.length = 0;
    slack.faults.failFor(600_000, { kind: 'delay', ms: 10 });
    const config = testConfig({ SLACK_WEBHOOK_URL: slack.url, DISPATCH_CONCURRENCY: String(CONCURRENCY), DISPATCH_BATCH_SIZE: String(CONCURRENCY), DISPATCH_CLAIM_GAP_MS: String(gapMs) });
    // The real database, its claim statements counted on the way through.
    let claims = 0;
    const db: Database = {
      ...t.db,
      query: (text, params) => {
        if (text === sql.claimJobs) claims++;
        return t.db.query(text, params);
      },
    };
    const d = new Dispatcher({ db, connectors: createConnectors(config), config: config.dispatcher, logger: captureLogger().logger, metrics: createMetrics(), ids: systemIds, fingerprints: connectorFingerprints(config) });
    await d.start();
    try {
      await waitUntil(async () => slack.messages.length >= JOBS, 30_000, 'every alert to reach Slack');
      await d.idle();
    } finally {
      await d.stop();
    }
    const { rows } = await t.db.query<{ status: string; n: number }>(`SELECT j.status, count(*)::integer AS n FROM jobs j JOIN inbox_events e ON e.id = j.inbox_id
       WHERE j.connector = 'slack' AND e.payload -> 'data' -> 'object' ->> 'id' LIKE $1 GROUP BY j.status`,
      [`in\\_${tag}\\_%`]);
    expect(rows).toEqual([{ status: 'done', n: JOBS }]);
    expect(slack.messages).toHaveLength(JOBS);
    expect(new Set(slack.messages.map((m) => m.text)).size).toBe(JOBS);
    return claims;
  }

  it(`${JOBS} Slack alerts answered in ~10 ms each, ${CONCURRENCY} at a time: every alert sent once, in far fewer claims than jobs`, async () => {
    const claims = await drainBacklog('batch', 20);
    // One claim per job is what claiming on every freed slot gives; batches of a quarter of the slots or more, ~JOBS / 4.
    expect(claims).toBeLessThanOrEqual(JOBS / 2);
  }, 90_000);

  it('the gap ends once a quarter of the slots are free: a long DISPATCH_CLAIM_GAP_MS never idles a backlog whose jobs finish sooner', async () => {
    // With the whole gap waited after every claim, 96 jobs 16 at a time would take 5 claims × 60 s; the alerts must all
    // arrive within the 30 s wait above, still in batches.
    const claims = await drainBacklog('gap', 60_000);
    expect(claims).toBeLessThanOrEqual(JOBS / 2);
  }, 90_000);
});
