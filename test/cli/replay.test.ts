import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STRIPE_SECRET, startTestApp, writeCounts, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { loadFixtureEvent } from '../support/stripe-fixtures.js';
import { cli, closedPort } from './cli.js';

/** Real Stripe deliveries, one per event id (several fixtures share an id), as an event-log export. */
const FIXTURES = [
  'checkout_session_completed',
  'subscription_created',
  'subscription_updated',
  'customer_updated',
  'invoice_paid',
  'charge_refunded',
  'subscription_deleted',
  'invoice_payment_paid',
];

const dir = mkdtempSync(path.join(tmpdir(), 'handoff-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, lines: string[]) => {
  const p = path.join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
};
const exportFile = () => file('events.jsonl', FIXTURES.map((f) => JSON.stringify(loadFixtureEvent(f))));

describe.each(DB_KINDS)('handoff replay against a running instance on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  const env = () => ({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });

  beforeEach(async () => {
    rt = await startTestApp(t, { web: true });
  });
  afterEach(() => rt.close());

  it('signs and POSTs every event in order; a second replay reports duplicates', async () => {
    const events = FIXTURES.map((f) => loadFixtureEvent(f));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const src = exportFile();

    const first = await cli(['replay', src, '--url', rt.url!], env());
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const lines = first.out.trimEnd().split('\n');
    expect(lines).toHaveLength(events.length + 1);
    events.forEach((e, i) => expect(lines[i]).toBe(`${i + 1}/${events.length}  ${e.id}  ${e.type}  accepted (200)`));
    expect(lines.at(-1)).toBe(`${events.length} events → ${rt.url}/api/webhooks/stripe: ${events.length} accepted, 0 duplicate, 0 rejected`);
    // In order: the inbox ids follow the file.
    const inbox = await t.db.query<{ event_id: string }>(`SELECT event_id FROM inbox_events WHERE source = 'stripe' ORDER BY id`);
    expect(inbox.rows.map((r) => r.event_id)).toEqual(events.map((e) => e.id));

    const second = await cli(['replay', src, '--url', rt.url!, '--json'], env());
    expect(second.code).toBe(0);
    const report = second.json();
    expect(report.summary).toEqual({ events: events.length, accepted: 0, duplicate: events.length, rejected: 0, notSent: 0 });
    expect(report.results.map((r: { outcome: string; status: number }) => `${r.outcome} ${r.status}`)).toEqual(events.map(() => 'duplicate 200'));
    expect((await writeCounts(rt)).inbox).toBe(events.length);
  });

  it('reports rejected events with their status and exits 1 (the instance has another signing secret)', async () => {
    const r = await cli(['replay', exportFile(), '--url', rt.url!], { STRIPE_WEBHOOK_SECRET: 'whsec_some_other_secret_0123456789' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`1/${FIXTURES.length}  evt_T8nSaZqtPudigUMqnnbY4D4v  checkout.session.completed  rejected (400): Stripe-Signature does not match the body`);
    expect(r.out).toContain(`0 accepted, 0 duplicate, ${FIXTURES.length} rejected`);
    expect((await writeCounts(rt)).inbox).toBe(0);
  });

  it('checks the whole file first: a bad line sends nothing', async () => {
    const good = JSON.stringify(loadFixtureEvent('invoice_paid'));
    const bad = file('bad.jsonl', [good, '{"id": "evt_1", "type": ', '', '{"object":"list","data":[]}', good]);
    const r = await cli(['replay', bad, '--url', rt.url!], env());
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad} has 2 bad line(s); nothing was sent:\n  line 2: not JSON\n  line 4: not a Stripe event (an object with "id" and "type")`);
    expect(r.out).toBe('');
    expect((await writeCounts(rt)).inbox).toBe(0);

    const missing = await cli(['replay', path.join(dir, 'nope.jsonl'), '--url', rt.url!], env());
    expect([missing.code, missing.err.split('\n')[0]]).toEqual([1, `cannot read ${path.join(dir, 'nope.jsonl')}: no such file`]);
    expect((await cli(['replay', bad], env())).code).toBe(2);
    const noSecret = await cli(['replay', exportFile(), '--url', rt.url!], {});
    expect([noSecret.code, noSecret.err.split('\n')[0]]).toEqual([1, 'STRIPE_WEBHOOK_SECRET is not set: replay signs every event with it']);
  });
});

describe('handoff replay without a Handoff behind the URL', () => {
  let other: Server;
  beforeAll(async () => {
    other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => other.close(() => r())));

  it('a page that is not Handoff rejects each event with its status; no answer at all stops the replay', async () => {
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const r = await cli(['replay', exportFile(), '--url', url], { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
    expect(r.code).toBe(1);
    expect(r.out).toContain('checkout.session.completed  rejected (404): <html><body>Not Found</body></html>');

    const port = await closedPort();
    const down = await cli(['replay', exportFile(), '--url', `http://127.0.0.1:${port}`], { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
    expect(down.code).toBe(1);
    expect(down.out).toContain(`1/${FIXTURES.length}  evt_T8nSaZqtPudigUMqnnbY4D4v  checkout.session.completed  rejected: no answer (connection refused)`);
    expect(down.out).toContain(`0 accepted, 0 duplicate, 1 rejected, ${FIXTURES.length - 1} not sent`);
    expect(down.err).toContain('stopped: the instance did not answer (connection refused)');
  });

  it('draws a progress bar on stderr only when stderr is a terminal', async () => {
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const tty = await cli(['replay', exportFile(), '--url', url], { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }, { tty: true });
    expect(tty.err).toContain(`\r\x1b[Kreplaying [${'.'.repeat(24)}] 0/${FIXTURES.length} evt_T8nSaZqtPudigUMqnnbY4D4v`);
    expect(tty.err).toMatch(new RegExp(`replaying \\[#+\\.*\\] ${FIXTURES.length - 1}/${FIXTURES.length}`));
    expect(tty.err.endsWith('\r\x1b[K')).toBe(true); // cleared at the end
    expect(tty.out).not.toContain('\r');
    const piped = await cli(['replay', exportFile(), '--url', url], { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
    expect(piped.err).toBe('');
  });
});
