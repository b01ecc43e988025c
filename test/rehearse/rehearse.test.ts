import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, appEventRequest, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { buildHistory, envFor, scratchSchemas, snapshotPublic, startEmulators, type Emulators, type History } from './history.js';
import { STATE_TABLE } from '../../src/lifecycle/index.js';
import { candidateOf, currentOf, RehearsalAborted, runRehearsal, type RehearsalReport } from '../../src/rehearse/index.js';

/** POST /api/admin/rehearse and read the NDJSON answer to its last line. */
async function rehearseVia(rt: TestApp, body: unknown): Promise<{ status: number; report?: RehearsalReport; error?: { message: string; details?: Array<{ path: string }> }; progress: number }> {
  const res = await rt.app.request('/api/admin/rehearse', { method: 'POST', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, error: JSON.parse(text), progress: 0 };
  expect(res.headers.get('content-type')).toContain('application/x-ndjson');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { progress?: unknown; report?: RehearsalReport; error?: { message: string } });
  return { status: 200, report: lines.at(-1)!.report, error: lines.at(-1)!.error, progress: lines.filter((l) => l.progress).length };
}

const keys = (r: RehearsalReport, which: 'added' | 'dropped') => r.jobs[which].map((j) => `${j.customer?.label} ${j.connector} ${j.kind} ${j.idempotencyKey}`).sort();

describe.each(DB_KINDS)('handoff rehearse on %s', (kind) => {
  const t = useTestDb(kind);
  let e: Emulators;
  let rt: TestApp;
  let h: History;

  beforeAll(async () => {
    e = await startEmulators();
    rt = await startTestApp(t, { worker: true, env: envFor(e) });
    h = await buildHistory(rt, t.db, e);
  }, 120_000);
  afterAll(async () => {
    await rt.close();
    await e.close();
  });

  it('the current configuration reproduces reality exactly: no differences (the self-check)', async () => {
    const { status, report } = await rehearseVia(rt, { since: h.start.toISOString() });
    expect(status).toBe(200);
    expect(report!.selfCheck).toBe(true);
    expect(report!.replayed.notReplayed).toEqual([]);
    const { n } = (await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events')).rows[0]!;
    expect(report!.replayed.events).toBe(n);
    expect(report!.replayed.decidedByCandidate).toBe(n);
    expect({ customers: report!.customers, jobs: report!.jobs, crm: report!.crm, decisions: report!.decisions }).toEqual({ customers: [], jobs: { added: [], dropped: [] }, crm: [], decisions: [] });
    expect(report!.differences).toBe(0);
  });

  it('refund → churned since mid: exactly alice changes, exactly her refund gains crm_sync, slack_churned and the outbound message', async () => {
    const config = { rules: { change: { refund: { to: 'churned', effects: ['crm_sync', 'slack_refund', 'slack_churned'] } } } };
    const { report } = await rehearseVia(rt, { since: h.mid.toISOString(), config });
    expect(report!.selfCheck).toBe(false);
    expect(report!.candidate.changes).toEqual(['rule refund changed (to: "churned", effects: ["crm_sync","slack_refund","slack_churned"])']);
    expect(report!.customers).toEqual([
      { customer: expect.objectContaining({ label: 'alice@example.com' }), actual: { lifecycle: 'paid', support: 'none' }, rehearsed: { lifecycle: 'churned', support: 'none' } },
    ]);
    expect(keys(report!, 'added')).toEqual([
      `alice@example.com hubspot upsert_contact crm_sync:stripe:${h.aliceRefund}`,
      `alice@example.com slack notify slack_churned:stripe:${h.aliceRefund}`,
      `alice@example.com webhook deliver webhook:stripe:${h.aliceRefund}`,
    ]);
    expect(report!.jobs.dropped).toEqual([]);
    // HubSpot: paid and churned are both stage "customer"; Handoff's own property changes.
    expect(report!.crm).toEqual([{ customer: expect.objectContaining({ label: 'alice@example.com' }), properties: { handoff_lifecycle: ['paid', 'churned'] } }]);
    expect(report!.differences).toBe(5);
  });

  it('the same change since the start also reaches dave, who was refunded in phase 1 (already churned: effects only)', async () => {
    const config = { rules: { change: { refund: { to: 'churned', effects: ['crm_sync', 'slack_refund', 'slack_churned'] } } } };
    const { report } = await rehearseVia(rt, { since: h.start.toISOString(), config });
    expect(report!.customers.map((c) => c.customer.label)).toEqual(['alice@example.com']);
    expect(keys(report!, 'added')).toEqual([
      `alice@example.com hubspot upsert_contact crm_sync:stripe:${h.aliceRefund}`,
      `alice@example.com slack notify slack_churned:stripe:${h.aliceRefund}`,
      `alice@example.com webhook deliver webhook:stripe:${h.aliceRefund}`,
      `dave@example.com hubspot upsert_contact crm_sync:stripe:${h.daveRefund}`,
      `dave@example.com slack notify slack_churned:stripe:${h.daveRefund}`,
    ]);
    expect(report!.jobs.dropped).toEqual([]);
  });

  it('dropping slack_payment_failed since mid drops exactly bob\'s second alert, nothing else', async () => {
    const config = { rules: { change: { payment_failed: { effects: ['crm_sync', 'email_payment_failed'] } } } };
    const { report } = await rehearseVia(rt, { since: h.mid.toISOString(), config });
    expect(report!.customers).toEqual([]);
    expect(report!.jobs.added).toEqual([]);
    expect(keys(report!, 'dropped')).toEqual([`bob@example.com slack notify slack_payment_failed:stripe:${h.bobSecondFailure}`]);
    expect(report!.jobs.dropped[0]!.event).toEqual({ source: 'stripe', id: h.bobSecondFailure, type: 'invoice.payment_failed' });
    expect(report!.crm).toEqual([]);
    expect(report!.differences).toBe(1);
  });

  it('removing the refund rule: both refunds since the start become ignored, their alerts dropped', async () => {
    const { report } = await rehearseVia(rt, { since: h.start.toISOString(), config: { rules: { remove: ['refund'] } } });
    expect(report!.customers).toEqual([]);
    expect(keys(report!, 'dropped')).toEqual([`alice@example.com slack notify slack_refund:stripe:${h.aliceRefund}`, `dave@example.com slack notify slack_refund:stripe:${h.daveRefund}`]);
    expect(report!.decisions.map((d) => [d.event.id, d.actual, d.rehearsed])).toEqual([
      [h.daveRefund, 'applied: refund', 'ignored: no rule for charge.refunded when churned'],
      [h.aliceRefund, 'applied: refund', 'ignored: no rule for charge.refunded when paid'],
    ]);
    expect(report!.differences).toBe(4);
  });

  it('a complete table with one rule renamed: the same effects, the events decided by another rule (exit-worthy)', async () => {
    const table = STATE_TABLE.map((r) => ({ name: r.name === 'refund' ? 'money_back' : r.name, on: r.on, from: r.from, ...(r.to ? { to: r.to } : {}), ...(r.support ? { support: r.support } : {}), effects: r.effects }));
    const { report } = await rehearseVia(rt, { since: h.mid.toISOString(), config: { table } });
    expect(report!.candidate.changes).toEqual([`state table replaced (${STATE_TABLE.length} rules)`]);
    expect([report!.customers, report!.jobs, report!.crm]).toEqual([[], { added: [], dropped: [] }, []]);
    expect(report!.decisions).toEqual([{ event: { source: 'stripe', id: h.aliceRefund, type: 'charge.refunded' }, actual: 'applied: refund', rehearsed: 'applied: money_back' }]);
    expect(report!.differences).toBe(1);
  });

  it('a changed HubSpot lifecycle map shows the CRM properties per customer and changes no state or job', async () => {
    const { report } = await rehearseVia(rt, { since: h.start.toISOString(), config: { hubspotLifecycleMap: { churned: 'other' } } });
    expect(report!.customers).toEqual([]);
    expect(report!.jobs).toEqual({ added: [], dropped: [] });
    expect(report!.crm).toEqual([{ customer: expect.objectContaining({ label: 'dave@example.com' }), properties: { lifecyclestage: ['customer', 'other'] } }]);
  });

  it('a bad config is a 400 naming each bad field by its path; nothing runs', async () => {
    const before = await scratchSchemas(t.db);
    const bad = await rehearseVia(rt, { since: h.start.toISOString(), config: { rules: { change: { refund: { to: 'gone' }, refundd: { to: 'churned' } }, add: [{ name: 'x', on: ['user.exploded'], from: 'any', effects: ['fax'] }] } } });
    expect(bad.status).toBe(400);
    const paths = bad.error!.details!.map((d) => d.path).sort();
    expect(paths).toEqual(['rules.add.0.effects.0', 'rules.add.0.on.0', 'rules.change.refund.to']);
    expect(bad.error!.message).toContain('unknown lifecycle state "gone"');
    const unknownRule = await rehearseVia(rt, { since: h.start.toISOString(), config: { rules: { remove: ['nope'] } } });
    expect(unknownRule.status).toBe(400);
    expect(unknownRule.error!.details).toEqual([{ path: 'rules.remove.0', message: expect.stringContaining('no rule named "nope"') }]);
    expect((await rehearseVia(rt, { since: 'last tuesday' })).status).toBe(400);
    expect((await rehearseVia(rt, {})).status).toBe(400);
    const anonymous = await rt.app.request('/api/admin/rehearse', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ since: '7d' }) });
    expect(anonymous.status).toBe(401);
    expect(await scratchSchemas(t.db)).toEqual(before);
  });

  it('nothing leaves: no emulator call, reality byte-identical, the scratch schema gone — with the live dispatcher running', async () => {
    const calls = e.calls();
    const before = await snapshotPublic(t.db);
    // The worker keeps running: the scratch jobs' NOTIFY wakes it, and it must find nothing to send.
    const config = { rules: { change: { refund: { to: 'churned', effects: ['crm_sync', 'slack_refund', 'slack_churned'] } } } };
    const { report } = await rehearseVia(rt, { since: h.start.toISOString(), config });
    expect(report!.differences).toBeGreaterThan(0); // pending jobs WERE queued, in the scratch schema
    await new Promise((r) => setTimeout(r, 500)); // a (wrongly) woken dispatcher would have called by now
    expect(e.calls().slice(calls.length)).toEqual([]);
    const after = await snapshotPublic(t.db);
    // The running runtime's own bookkeeping (heartbeats, alert leader, webhook counters) may tick meanwhile;
    // the next test checks every table with nothing running.
    for (const table of ['customers', 'identities', 'inbox_events', 'timeline', 'jobs', 'watermarks', 'support_tickets', 'chatbot_decisions']) {
      expect(after[table], table).toEqual(before[table]);
    }
    expect(await scratchSchemas(t.db)).toEqual([]);
  });

  it('the live pipeline keeps recording during a rehearsal; what it records then is neither replayed nor compared', async () => {
    let live: Promise<Response> | undefined;
    const report = await runRehearsal(
      t.db,
      rt.config,
      { enabledConnectors: new Set(rt.connectors.keys()), maxAttempts: rt.config.dispatcher.maxAttempts },
      { since: h.start, candidate: candidateOf({}, currentOf(rt.config)) },
      { onProgress: (done) => void (done > 0 && (live ??= Promise.resolve(rt.app.request('/api/events', appEventRequest({ id: 'during-1', type: 'user.signed_up', customer: { email: 'during@example.com' } }))))) },
    );
    expect(live).toBeDefined();
    expect((await live!).status).toBe(200);
    expect((await t.db.query(`SELECT 1 FROM customers WHERE email = 'during@example.com'`)).rows).toHaveLength(1);
    expect(report.differences).toBe(0);
    expect(report.replayed.events).toBeLessThan((await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM inbox_events')).rows[0]!.n);
  });

  it('one rehearsal at a time per server: a second one meanwhile is a 409', async () => {
    const [a, b] = await Promise.all([rehearseVia(rt, { since: h.start.toISOString() }), rehearseVia(rt, { since: h.start.toISOString() })]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((a.status === 200 ? a : b).report!.differences).toBe(0);
    expect((await rehearseVia(rt, { since: h.start.toISOString() })).status).toBe(200);
  });

  it('an interrupted rehearsal (Ctrl-C, a client gone) stops and drops its scratch schema', async () => {
    const abort = new AbortController();
    let seen = 0;
    const run = runRehearsal(t.db, rt.config, { enabledConnectors: new Set(), maxAttempts: 3 }, { since: h.start, candidate: candidateOf({}, currentOf(rt.config)) }, {
      signal: abort.signal,
      onProgress: (_done, total) => {
        seen = total;
        abort.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(RehearsalAborted);
    expect(seen).toBeGreaterThan(0);
    expect(await scratchSchemas(t.db)).toEqual([]);
  });

  it('a scratch schema left by a killed rehearsal (older than a day) is dropped by the next one; a recent one is not', async () => {
    const recent = `rehearse_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_0123ab`;
    await t.db.exec(`CREATE SCHEMA rehearse_20250101000000_abcdef; CREATE TABLE rehearse_20250101000000_abcdef.jobs (id int); CREATE SCHEMA ${recent}`);
    expect((await rehearseVia(rt, { since: h.mid.toISOString() })).status).toBe(200);
    expect(await scratchSchemas(t.db)).toEqual([recent]); // maybe a rehearsal running in another process
    await t.db.exec(`DROP SCHEMA ${recent}`);
  });

  it('without a worker, every live table is byte-identical after a rehearsal', async () => {
    await rt.close();
    rt = await startTestApp(t, { env: envFor(e) });
    const before = await snapshotPublic(t.db);
    const { report } = await rehearseVia(rt, { since: h.start.toISOString(), config: { rules: { remove: ['payment_failed'] } } });
    expect(report!.differences).toBeGreaterThan(0);
    expect(await snapshotPublic(t.db)).toEqual(before);
    expect(await scratchSchemas(t.db)).toEqual([]);
  });
});
