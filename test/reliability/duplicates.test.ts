import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled } from '../support/wait.js';
import { checkProviders, duplicates, readLedger } from './support/ledger.js';
import { CONNECTORS, eventMix, expectedEffects, pool, providerEffects, runTag, shuffled, startProviders, type Providers } from './support/input-load.js';

/**
 * Duplicate load: 100 distinct events (Stripe payment failures and app support escalations, for 100
 * customers; together they reach all five connectors), each delivered 100 times in a seeded shuffle at
 * concurrency 64 over a real port → every delivery acknowledged, exactly one recorded per event, and
 * exactly the expected effects at each provider: no contact, ticket, email, Slack alert or webhook twice.
 */
const DISTINCT = 100;
const COPIES = 100;
const CONCURRENCY = 64;
const SEED = 64_100;

describe.each(DB_KINDS)('10,000 duplicate deliveries on %s', (kind) => {
  const t = useTestDb(kind);
  let providers: Providers;
  let rt: TestApp;

  beforeAll(async () => {
    providers = await startProviders();
    rt = await startTestApp(t, { web: true, worker: true, env: {
        ...providers.env,
        DISPATCH_CONCURRENCY: '16',
        // This scenario is about duplicate DELIVERIES; provider answers slower than a timeout (a loaded
        // machine) would add at-least-once repeats of their own, which provider-faults.test.ts covers.
        HTTP_TIMEOUT_MS: '30000',
        JOB_LEASE_MS: '60000',
      },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await providers?.close();
  });

  it(`${DISTINCT} events × ${COPIES} copies at concurrency ${CONCURRENCY} → exactly one effect per event and connector`, async () => {
    const events = eventMix(DISTINCT, `dup-${kind}-${runTag()}`);
    const deliveries = shuffled(
      events.flatMap((e) => Array.from({ length: COPIES }, () => e)),
      SEED,
    );
    const statuses = new Map<number, number>();
    const firsts = new Map<string, number>();
    const started = performance.now();
    let transportRetries = 0;
    await pool(deliveries, CONCURRENCY, async (e) => {
      // A delivery that fails on the wire (a keep-alive socket closed under it) was not acknowledged:
      // the sender tries again, as Stripe and the app's client do.
      let res: Response | undefined;
      for (let attempt = 0; !res; attempt++) {
        try {
          res = await fetch(`${rt.url}${e.path}`, e.init());
        } catch (err) {
          if (attempt >= 5) throw err;
          transportRetries += 1;
        }
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const body = (await res.json()) as { duplicate?: boolean };
      if (res.status === 200 && body.duplicate === false) firsts.set(e.eventId, (firsts.get(e.eventId) ?? 0) + 1);
    });
    const sendMs = performance.now() - started;
    expect(Object.fromEntries(statuses)).toEqual({ 200: DISTINCT * COPIES });
    // Exactly one delivery of each event was the first; the other 99 were answered as duplicates.
    expect(firsts.size).toBe(DISTINCT);
    expect([...firsts.values()].every((n) => n === 1)).toBe(true);

    await settled(rt.db, 300_000);
    // Effects that follow another (the confirmation email after its ticket) are queued as their parent
    // completes: settle once more so none is still on its way.
    await settled(rt.db, 300_000);
    const drainMs = performance.now() - started;

    const expected = expectedEffects(events);
    const seen = providerEffects(providers);
    console.log(
      `[duplicates ${kind}] ${DISTINCT * COPIES} deliveries sent in ${(sendMs / 1000).toFixed(1)} s (${Math.round((DISTINCT * COPIES) / (sendMs / 1000))}/s), ` +
        `all effects in ${(drainMs / 1000).toFixed(1)} s; transport retries ${transportRetries}; effects ${JSON.stringify(seen.counts)} (expected ${JSON.stringify(expected)})`,
    );
    expect(seen.counts).toEqual(expected);
    for (const c of CONNECTORS) expect(seen.counts[c], c).toBeGreaterThan(0);
    expect(duplicates(seen.keys.hubspotCreates)).toEqual({});
    expect(seen.keys.hubspotCreates).toHaveLength(expected.hubspot);
    expect(duplicates(seen.keys.zendeskExternalIds)).toEqual({});
    expect(duplicates(seen.keys.emails)).toEqual({});
    expect(duplicates(seen.keys.slackTexts)).toEqual({});
    expect(seen.webhookRepeats, 'webhook messages delivered twice under one id').toBe(0);
    // Every customer got its own record at each provider it should have one at.
    for (const e of events) expect(providers.hubspot.contacts.has(e.email), e.email).toBe(true);
    expect(new Set(providers.resend.emails.flatMap((m) => m.to)).size).toBe(DISTINCT);

    const check = await checkProviders(rt.db, { hubspot: providers.hubspot, zendesk: providers.zendesk, resend: providers.resend, webhooks: providers.receiver, slack: providers.slack });
    expect(check.duplicates).toEqual({ hubspot: {}, zendesk: {}, email: {}, webhook: {} });
    expect(check.undelivered).toEqual([]);
    expect(check.slack.repeats, 'Slack messages beyond the done jobs').toBe(0);
    expect(check.done).toEqual(expected);

    const ledger = await readLedger(rt.db, events.map((e) => ({ source: e.source, eventId: e.eventId })));
    expect(ledger.acknowledged).toBe(DISTINCT);
    expect(ledger.missingFromInbox).toEqual([]);
    expect(ledger.unaccounted, 'unaccounted jobs').toBe(0);
    expect(ledger.jobs.dead, 'dead jobs').toBe(0);
    expect(ledger.jobs.done).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    const inbox = await rt.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events');
    expect(inbox.rows[0]!.n).toBe(DISTINCT);
  });
});
