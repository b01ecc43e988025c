import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { adminHeaders, API_KEY, appEventRequest, startTestApp, systemIds, writeCounts, type TestApp } from '../support/app.js';
import { settled } from '../support/wait.js';
import { signZendeskWebhook, startZendeskEmulator, zendeskStatusChanged, type ZendeskEmulator } from '../emulators/index.js';
import { appEscalationId } from '../../src/events/index.js';

const SECRET = 'zendesk-signing-secret-0123456789';

describe.each(DB_KINDS)('POST /api/webhooks/zendesk on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let zd: ZendeskEmulator;
  let rt: TestApp;
  beforeAll(async () => {
    zd = await startZendeskEmulator();
    rt = await startTestApp(t, {
      worker: true,
      env: { ZENDESK_BASE_URL: zd.url, ZENDESK_EMAIL: zd.email, ZENDESK_API_TOKEN: zd.apiToken, ZENDESK_WEBHOOK_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await rt.close();
    await zd.close();
  });
  beforeEach(async () => {
    await t.db.exec('TRUNCATE support_tickets');
    await ensureBootstrapKey(t.db, API_KEY, systemIds); // truncateAll empties api_keys too
  });

  const counts = async () => ({
    ...(await writeCounts(rt)),
    tickets: Number((await t.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM support_tickets')).rows[0]!.n),
  });
  const nothing = { inbox: 0, customers: 0, jobs: 0, tickets: 0 };
  const support = async () => {
    const res = await rt.app.request('/api/customers/grace%40example.com', { headers: adminHeaders });
    return ((await res.json()) as { support: string }).support;
  };

  /** A customer with one Handoff-opened ticket (through the real escalation → dispatcher → emulator path). */
  async function customerWithTicket(escalationId: string) {
    const res = await rt.app.request(
      '/api/events',
      appEventRequest({ id: `evt-${escalationId}`, type: 'support.escalation_requested', customer: { email: 'grace@example.com' }, data: { escalation_id: escalationId, message: 'help' } }),
    );
    expect(res.status).toBe(200);
    await settled(t.db);
    return zd.ticketsByExternalId(appEscalationId({ email: 'grace@example.com' }, escalationId))[0]!;
  }

  const solvedBody = (ticketId: number, id = `zd-evt-${ticketId}`) =>
    JSON.stringify(
      zendeskStatusChanged({ id: ticketId, status: 'solved', subject: 'help', priority: null, requester_id: 1, external_id: null, tags: [], created_at: '', updated_at: '' }, 'open', { id }),
    );
  const send = (body: string, headers: Record<string, string>) => rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers });

  it('a valid signature → 200, the ticket solved and support back to none; a redelivery is a duplicate that changes nothing', async () => {
    const ticket = await customerWithTicket('esc-1');
    expect(await support()).toBe('needs_support');
    const body = solvedBody(ticket.id);
    const res = await send(body, signZendeskWebhook(body, SECRET));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    expect(await support()).toBe('none');
    const before = await counts();
    const again = await send(body, signZendeskWebhook(body, SECRET));
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await counts()).toEqual(before);
  });

  it('a second ticket still open → the customer stays needs_support', async () => {
    const first = await customerWithTicket('esc-1');
    await customerWithTicket('esc-2');
    const body = solvedBody(first.id);
    expect((await send(body, signZendeskWebhook(body, SECRET))).status).toBe(200);
    expect(await support()).toBe('needs_support');
  });

  const body = solvedBody(7);
  const sig = (ts: string, b = body, secret = SECRET) => createHmac('sha256', secret).update(ts + b).digest('base64');
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  it.each([
    ['no signature headers', () => ({ body, headers: { 'content-type': 'application/json' } })],
    ['only the timestamp', () => ({ body, headers: { 'x-zendesk-webhook-signature-timestamp': iso(0) } })],
    ['a signature made with another secret', () => ({ body, headers: signZendeskWebhook(body, 'someone-else') })],
    ['a body changed after signing', () => ({ body: body.replace('"solved"', '"open"').replace('SOLVED', 'OPEN'), headers: signZendeskWebhook(body, SECRET) })],
    ['a stale timestamp (6 minutes old)', () => ({ body, headers: { 'x-zendesk-webhook-signature-timestamp': iso(-360_000), 'x-zendesk-webhook-signature': sig(iso(-360_000)) } })],
    ['a timestamp 6 minutes in the future', () => ({ body, headers: { 'x-zendesk-webhook-signature-timestamp': iso(360_000), 'x-zendesk-webhook-signature': sig(iso(360_000)) } })],
    ['a garbage signature', () => ({ body, headers: { 'x-zendesk-webhook-signature-timestamp': iso(0), 'x-zendesk-webhook-signature': 'bm9wZQ==' } })],
  ])('rejects %s with 400 invalid_signature and writes nothing', async (_name, make) => {
    await customerWithTicket('esc-x'); // something to damage, were the check skipped
    const before = await counts();
    const { body: b, headers } = make();
    const res = await send(b, headers);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_signature');
    expect(await counts()).toEqual(before);
    expect(await support()).toBe('needs_support');
  });

  it('rejections are counted under source zendesk', async () => {
    await send(body, { 'content-type': 'application/json' });
    expect(await rt.metrics.registry.metrics()).toMatch(/handoff_webhooks_total\{source="zendesk",outcome="rejected_signature"\} [1-9]/);
  });

  it('a signed body that is not JSON, or of neither Zendesk shape, is a 400 with nothing written', async () => {
    for (const raw of ['not json{', '{"hello":"world"}', '{"type":"zen:event-type:ticket.status_changed","id":"x","time":"2026-01-01T00:00:00Z","detail":{"id":"1"},"event":{"current":"EXPLODED"}}']) {
      const res = await send(raw, signZendeskWebhook(raw, SECRET));
      expect(res.status, raw).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('bad_request');
    }
    expect(await counts()).toEqual(nothing);
  });

  it('other ticket events (custom field, assignee) whose event.current is not a string are acknowledged, not refused', async () => {
    // Zendesk sends booleans, numbers, lists and objects as `current` for these event types; a 400
    // would make Zendesk retry them and count failures against the webhook.
    const ticket = await customerWithTicket('esc-other');
    const base = JSON.parse(solvedBody(ticket.id)) as Record<string, unknown>;
    const cases: Array<[string, unknown]> = [
      ['zen:event-type:ticket.custom_field_changed', true],
      ['zen:event-type:ticket.custom_field_changed', ['a', 'b']],
      ['zen:event-type:ticket.agent_assignment_changed', { id: '235324' }],
      ['zen:event-type:ticket.agent_assignment_changed', 235324],
    ];
    for (const [i, [type, current]] of cases.entries()) {
      const raw = JSON.stringify({ ...base, id: `zd-other-${i}`, type, event: { current, previous: null } });
      const res = await send(raw, signZendeskWebhook(raw, SECRET));
      expect(res.status, `${type} ${JSON.stringify(current)}`).toBe(200);
      expect(await res.json()).toEqual({ received: true, duplicate: false });
    }
    expect(await support()).toBe('needs_support'); // none of them is a status change
  });

  it('GET is 405 with Allow: POST', async () => {
    const res = await rt.app.request('/api/webhooks/zendesk');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe.each(DB_KINDS)('POST /api/webhooks/zendesk without ZENDESK_WEBHOOK_SECRET on %s', (kind) => {
  const t = useTestDb(kind);
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
  });
  afterAll(async () => {
    await rt.close();
  });

  it('refuses every delivery with a 400 that names the variable, and writes nothing', async () => {
    const body = '{"ticket_id":"1","status":"Solved"}';
    const res = await rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, SECRET) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_signature', message: expect.stringContaining('set ZENDESK_WEBHOOK_SECRET') });
    expect(await writeCounts(rt)).toEqual({ inbox: 0, customers: 0, jobs: 0 });
  });
});
