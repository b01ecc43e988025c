import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../emulators/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled } from '../support/wait.js';
import { checkProviders, readLedger } from './support/ledger.js';
import { CONNECTORS, eventMix, expectedEffects, pool, providerEffects, runTag, startProviders, type Connector, type LoadEvent, type Providers } from './support/input-load.js';

/**
 * Provider outages: every emulator fails for a window, phase by phase — hangs (no answer: the client's
 * timeout ends it), 503, 500, 502, 429 with Retry-After, 429 without, connection resets, and answers that
 * come after the client gave up although the provider DID act (idempotency is what prevents a second
 * record). Events keep arriving throughout. After recovery, ≥ 99.9 % of the effects are delivered within
 * 5 minutes and the rest are dead-lettered with a reason; the ledger balances; no provider record twice.
 *
 * Slack's incoming webhooks have no idempotency key, so Slack gets no "late answer" phase: a message posted
 * after the client gave up is posted twice by any at-least-once sender (README, Delivery guarantees).
 */
const HTTP_TIMEOUT_MS = 1_000;
const PHASE_MS = 2_000;
const PER_PHASE = 24;
const RECOVERY_BOUND_MS = 5 * 60_000;

const PHASES: Array<{ fault: Fault; label: string; slack?: false }> = [
  { fault: { status: 503 }, label: '503' },
  { fault: { kind: 'timeout' }, label: 'timeout' },
  { fault: { status: 429, retryAfter: 1 }, label: '429' },
  { fault: { kind: 'reset' }, label: 'reset' },
  { fault: { status: 429 }, label: '429' },
  { fault: { kind: 'delay', ms: HTTP_TIMEOUT_MS + 500 }, label: 'delay', slack: false },
  { fault: { status: 500 }, label: '500' },
  { fault: { status: 502 }, label: '502' },
];

describe.each(DB_KINDS)('provider faults on %s', (kind) => {
  const t = useTestDb(kind);
  let providers: Providers;
  let rt: TestApp;

  beforeAll(async () => {
    providers = await startProviders();
    rt = await startTestApp(t, {
      web: true,
      worker: true,
      env: {
        ...providers.env,
        LOG_LEVEL: 'warn',
        // Short everything, so an outage of seconds plays out like one of hours would.
        HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
        JOB_LEASE_MS: '5000',
        RETRY_BASE_MS: '100',
        RETRY_MAX_MS: '2000',
        CIRCUIT_FAILURE_THRESHOLD: '5',
        CIRCUIT_COOLDOWN_MS: '500',
        JOB_MAX_ATTEMPTS: '30',
        DISPATCH_POLL_MS: '50',
        // The outage would (rightly) raise operator alerts through Slack and email; they are not effects of
        // the events, and the alerting rules have their own tests.
        ALERT_EVAL_INTERVAL_MS: '0',
      },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await providers?.close();
  });

  it('every fault kind at every provider for a window → ≥ 99.9 % delivered after recovery, the rest dead with a reason, nothing twice', async () => {
    const events = eventMix(PHASES.length * PER_PHASE, `fault-${kind}-${runTag()}`);
    const acked: LoadEvent[] = [];
    const refused: string[] = [];
    const send = (batch: LoadEvent[]) =>
      pool(batch, 8, async (e) => {
        // A delivery that fails on the wire was not acknowledged: the sender tries again, as Stripe does.
        let res: Response | undefined;
        for (let attempt = 0; !res; attempt++) {
          try {
            res = await fetch(`${rt.url}${e.path}`, e.init());
          } catch (err) {
            if (attempt >= 5) throw err;
          }
        }
        await res.arrayBuffer();
        if (res.status === 200) acked.push(e);
        else refused.push(`${e.eventId} → ${res.status}`);
      });

    // One fault of every kind queued at each provider as well: whatever the timing of the windows, each kind
    // is served at least once (queued faults are consumed by the first requests outside a window).
    for (const [name, emulator] of providers.all()) {
      for (const p of PHASES) if (!(name === 'slack' && p.slack === false)) emulator.faults.push(p.fault);
    }
    // The outage: phase after phase at every provider at once; a batch of new events at each phase start.
    for (const [i, phase] of PHASES.entries()) {
      for (const [name, emulator] of providers.all()) {
        if (name === 'slack' && phase.slack === false) emulator.faults.failFor(0, phase.fault);
        else emulator.faults.failFor(PHASE_MS, phase.fault);
      }
      const phaseEnd = Date.now() + PHASE_MS;
      await send(events.slice(i * PER_PHASE, (i + 1) * PER_PHASE));
      await new Promise((r) => setTimeout(r, Math.max(0, phaseEnd - Date.now())));
    }
    const recovered = Date.now();
    expect(refused).toEqual([]);
    expect(acked).toHaveLength(events.length);

    // Recovery: everything settles (delivered or dead-lettered) within the bound; the queued faults are
    // served by the first requests after the windows.
    await settled(rt.db, RECOVERY_BOUND_MS);
    for (const [name, emulator] of providers.all()) expect(emulator.faults.pending, `${name}: queued faults never served`).toBe(0);
    await settled(rt.db, RECOVERY_BOUND_MS - (Date.now() - recovered)); // follow-up emails queued by the last tickets
    const settledMs = Date.now() - recovered;

    // Each provider really saw the faults of each kind (not an outage nobody ran into).
    const served = Object.fromEntries(
      providers.all().map(([name, e]) => [name, [...new Set((e as unknown as { requests: Array<{ fault?: string }> }).requests.map((r) => r.fault).filter(Boolean))].sort()]),
    );
    const ledger = await readLedger(rt.db, acked.map((e) => ({ source: e.source, eventId: e.eventId })));
    const expected = expectedEffects(events);
    const seen = providerEffects(providers);
    const total = ledger.jobs.done + ledger.jobs.dead;
    const { rows: deadRows } = await rt.db.query<{ connector: string; last_error: string }>(`SELECT connector, last_error FROM jobs WHERE status = 'dead'`);
    console.log(
      `[provider-faults ${kind}] ${events.length} events through ${PHASES.length} fault phases of ${PHASE_MS} ms; settled ${(settledMs / 1000).toFixed(1)} s after recovery; ` +
        `jobs ${JSON.stringify(ledger.jobs)}; delivered ${((100 * ledger.jobs.done) / total).toFixed(2)} %; effects ${JSON.stringify(seen.counts)} (expected ${JSON.stringify(expected)}); ` +
        `webhook repeats (same webhook-id, dropped by the receiver) ${seen.webhookRepeats}; faults served ${JSON.stringify(served)}` +
        (deadRows.length ? `; dead: ${JSON.stringify(deadRows.slice(0, 5))}` : ''),
    );

    for (const name of CONNECTORS) {
      const want = ['429', '500', '502', '503', 'reset', 'timeout', ...(name === 'slack' ? [] : ['delay'])].sort();
      expect(served[name], name).toEqual(want);
    }
    expect(ledger.missingFromInbox).toEqual([]);
    expect(ledger.unaccounted).toBe(0);
    expect(ledger.deadWithoutReason).toBe(0);
    expect(ledger.jobs.done / total).toBeGreaterThanOrEqual(0.999);
    expect(total).toBe(Object.values(expected).reduce((a, b) => a + b, 0));

    const check = await checkProviders(rt.db, { hubspot: providers.hubspot, zendesk: providers.zendesk, resend: providers.resend, webhooks: providers.receiver, slack: providers.slack });
    expect(check.duplicates).toEqual({ hubspot: {}, zendesk: {}, email: {}, webhook: {} });
    expect(check.undelivered).toEqual([]);
    // Slack has no idempotency key: it repeats a message only when an attempt timed out after Slack had
    // posted it (a slow answer on a loaded machine), so never more often than its done jobs were retried.
    expect(check.slack.repeats).toBeLessThanOrEqual(check.slack.rerun);
    const deadBy = (c: Connector) => deadRows.filter((r) => r.connector === c).length;
    for (const c of CONNECTORS) {
      expect(check.done[c] ?? 0, `${c}: done jobs`).toBe(expected[c] - deadBy(c));
      // Provider records: one per delivered effect (Slack messages are counted above, with their repeats).
      if (c !== 'slack') expect(seen.counts[c], `${c}: provider records`).toBe(expected[c] - deadBy(c));
    }
  });
});
