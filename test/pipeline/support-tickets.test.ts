import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { adminHeaders, appEventRequest, startTestApp, type TestApp } from '../support/app.js';
import { jobs, settled, waitUntil } from '../support/wait.js';
import { appEscalationId } from '../../src/events/index.js';
import { signZendeskWebhook, startZendeskEmulator, zendeskStatusChanged, type ZendeskEmulator } from '../emulators/index.js';

const SECRET = 'zendesk-signing-secret-0123456789';

interface CustomerView {
  id: string;
  support: string;
  lifecycle: string;
  identities: Array<{ kind: string; value: string }>;
  timeline: Array<{ type: string; rule?: string | null; detail?: Record<string, unknown>; job?: { connector: string; kind: string; status: string; result: Record<string, unknown> | null } }>;
}

describe.each(DB_KINDS)('support tickets end to end on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let zd: ZendeskEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    await t.db.exec('TRUNCATE support_tickets');
    zd = await startZendeskEmulator();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await zd.close();
  });

  const start = (worker = true) =>
    startTestApp(t, {
      worker,
      env: { ZENDESK_BASE_URL: zd.url, ZENDESK_EMAIL: zd.email, ZENDESK_API_TOKEN: zd.apiToken, ZENDESK_WEBHOOK_SECRET: SECRET },
    });

  const escalation = (id: string, escalationId: string, message = 'The export button does nothing', email = 'ada@example.com') => ({
    id,
    type: 'support.escalation_requested',
    customer: { email, name: 'Ada Lovelace' },
    data: { escalation_id: escalationId, subject: 'Export broken', message, priority: 'urgent' },
  });

  const post = async (app: TestApp, body: unknown) => {
    const res = await app.app.request('/api/events', appEventRequest(body));
    expect(res.status).toBe(200);
    return res;
  };

  const view = async (app: TestApp, ref = 'ada@example.com') => {
    const res = await app.app.request(`/api/customers/${encodeURIComponent(ref)}`, { headers: adminHeaders });
    expect(res.status).toBe(200);
    return (await res.json()) as CustomerView;
  };

  /** A signed Zendesk delivery of the ticket's CURRENT status in the emulator. */
  const statusWebhook = async (app: TestApp, ticketId: number, previous = 'open') => {
    const body = JSON.stringify(zendeskStatusChanged(zd.tickets.get(ticketId)!, previous));
    const res = await app.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, SECRET) });
    expect(res.status).toBe(200);
    return res;
  };

  /** The helpdesk key (external_id) of Ada's app escalation `id`. */
  const key = (id: string, email = 'ada@example.com') => appEscalationId({ email }, id);

  const inbox = async () =>
    (await t.db.query<{ event_id: string; type: string; outcome: string; outcome_reason: string | null }>('SELECT event_id, type, outcome, outcome_reason FROM inbox_events ORDER BY id')).rows;

  it('an escalation opens one ticket: its id is an identity, in GET /api/customers, findable by ticket id, and in the timeline', async () => {
    rt = await start();
    expect((await post(rt, escalation('evt-1', 'esc-1'))).status).toBe(200);
    await settled(t.db);
    expect(zd.tickets.size).toBe(1);
    const ticket = [...zd.tickets.values()][0]!;
    expect(ticket).toMatchObject({ external_id: key('esc-1'), priority: 'urgent', subject: 'Export broken' });
    expect(ticket.comments[0]!.body).toBe('The export button does nothing');
    expect(ticket.tags).toEqual(expect.arrayContaining(['handoff', 'lifecycle_lead']));
    const c = await view(rt);
    expect(c.support).toBe('needs_support');
    expect(c.identities).toContainEqual({ kind: 'zendesk_ticket', value: String(ticket.id) });
    expect((await view(rt, String(ticket.id))).id).toBe(c.id);
    const job = c.timeline.find((e) => e.job?.connector === 'zendesk')?.job;
    expect(job).toMatchObject({ kind: 'create_ticket', status: 'done', result: { ticket_id: ticket.id, action: 'created' } });
  });

  it("two customers whose app numbers escalations alike (both \"1\") get a ticket each; neither's words reach the other's ticket", async () => {
    rt = await start();
    await post(rt, escalation('evt-ada-1', '1', 'Ada cannot export', 'ada@example.com'));
    await settled(t.db);
    await post(rt, escalation('evt-bob-1', '1', 'Bob was double charged', 'bob@example.com'));
    await settled(t.db);
    expect(zd.tickets.size).toBe(2);
    const ada = zd.ticketsByExternalId(key('1', 'ada@example.com'));
    const bob = zd.ticketsByExternalId(key('1', 'bob@example.com'));
    expect([ada.length, bob.length]).toEqual([1, 1]);
    expect(ada[0]!.comments.map((c) => c.body)).toEqual(['Ada cannot export']);
    expect(bob[0]!.comments.map((c) => c.body)).toEqual(['Bob was double charged']);
    // A second message in Ada's escalation "1" still lands on Ada's ticket, as a comment.
    await post(rt, escalation('evt-ada-2', '1', 'Still broken', 'ada@example.com'));
    await settled(t.db);
    expect(zd.tickets.size).toBe(2);
    const comments = zd.ticketsByExternalId(key('1', 'ada@example.com'))[0]!.comments.map((c) => c.body);
    expect(comments).toHaveLength(2);
    expect(comments[1]).toMatch(/Still broken$/);
  });

  it('20 concurrent deliveries of one escalation → one inbox row, one job, one ticket', async () => {
    rt = await start();
    const app = rt;
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(app, escalation('evt-dup', 'esc-dup'))));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ duplicate: boolean }>;
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    const done = await settled(t.db);
    expect(done.filter((j) => j.connector === 'zendesk').map((j) => j.status)).toEqual(['done']);
    expect(zd.tickets.size).toBe(1);
    expect([...zd.tickets.values()][0]!.comments).toHaveLength(1);
  });

  it('20 concurrent escalations of one conversation (20 events, one escalation id) → one ticket, 19 private comments', async () => {
    rt = await start();
    const app = rt;
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(app, escalation(`evt-${i}`, 'esc-chat', `message ${i}`))));
    const done = await settled(t.db);
    const zdJobs = done.filter((j) => j.connector === 'zendesk');
    expect(zdJobs).toHaveLength(20);
    expect(zdJobs.every((j) => j.status === 'done')).toBe(true);
    expect(zd.tickets.size).toBe(1);
    const ticket = [...zd.tickets.values()][0]!;
    expect(ticket.comments).toHaveLength(20);
    expect(ticket.comments.filter((c) => !c.public)).toHaveLength(19);
    expect(new Set(zdJobs.map((j) => j.result?.ticket_id))).toEqual(new Set([ticket.id]));
    expect(zdJobs.filter((j) => j.result?.action === 'created')).toHaveLength(1);
  });

  it('solving one of two open tickets keeps needs_support; solving the last clears it; a reopened ticket counts again', async () => {
    rt = await start();
    await post(rt, escalation('evt-a', 'esc-a'));
    await post(rt, escalation('evt-b', 'esc-b'));
    await settled(t.db);
    expect(zd.tickets.size).toBe(2);
    const [a, b] = [zd.ticketsByExternalId(key('esc-a'))[0]!, zd.ticketsByExternalId(key('esc-b'))[0]!];

    a.status = 'solved';
    await statusWebhook(rt, a.id);
    expect((await view(rt)).support).toBe('needs_support');
    expect((await inbox()).at(-1)).toMatchObject({ outcome: 'ignored', outcome_reason: expect.stringMatching(new RegExp(`^other tickets still open \\(#${b.id}\\)`)) });

    a.status = 'open'; // the customer replied: Zendesk reopens it
    await statusWebhook(rt, a.id, 'solved');
    b.status = 'solved';
    await statusWebhook(rt, b.id);
    expect((await view(rt)).support).toBe('needs_support');
    expect((await inbox()).at(-1)?.outcome_reason).toMatch(new RegExp(`^other tickets still open \\(#${a.id}\\)`));

    a.status = 'closed';
    await statusWebhook(rt, a.id, 'open');
    const c = await view(rt);
    expect(c.support).toBe('none');
    expect((await inbox()).at(-1)).toMatchObject({ outcome: 'applied', outcome_reason: 'support_resolved' });
    const rows = (await t.db.query<{ ticket_id: string; status: string; escalation_id: string }>('SELECT ticket_id, status, escalation_id FROM support_tickets ORDER BY escalation_id')).rows;
    expect(rows).toEqual([
      { ticket_id: String(a.id), status: 'closed', escalation_id: key('esc-a') },
      { ticket_id: String(b.id), status: 'solved', escalation_id: key('esc-b') },
    ]);
  });

  it('two tickets solved at the same moment: the resolutions serialise on the customer, so support ends at none', async () => {
    rt = await start();
    const app = rt;
    for (let round = 0; round < 5; round++) {
      const email = `race${round}@example.com`;
      await post(app, escalation(`evt-a${round}`, `esc-a${round}`, 'a', email));
      await post(app, escalation(`evt-b${round}`, `esc-b${round}`, 'b', email));
      await settled(t.db);
      const tickets = [zd.ticketsByExternalId(key(`esc-a${round}`, email))[0]!, zd.ticketsByExternalId(key(`esc-b${round}`, email))[0]!];
      for (const tk of tickets) tk.status = 'solved';
      await Promise.all(tickets.map((tk) => statusWebhook(app, tk.id)));
      expect((await view(app, email)).support).toBe('none');
      const ids = tickets.map((tk) => String(tk.id));
      const outcomes = (await inbox()).filter((r) => r.type.startsWith('zen:')).slice(-2).map((r) => r.outcome).sort();
      expect(outcomes, `round ${round}, tickets ${ids.join(', ')}`).toEqual(['applied', 'ignored']);
    }
  });

  it('a ticket job still queued holds a resolution (its ticket is about to exist)', async () => {
    rt = await start(false); // no dispatcher: the escalation's job stays pending
    await post(rt, escalation('evt-q', 'esc-q'));
    expect((await jobs(t.db)).find((j) => j.connector === 'zendesk')?.status).toBe('pending');
    // A ticket the customer opened by email is solved; the trigger body names its requester.
    const body = JSON.stringify({ ticket_id: '900', status: 'Solved', external_id: '', requester_email: 'ada@example.com', updated_at: new Date().toISOString() });
    await rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, SECRET) });
    expect((await view(rt)).support).toBe('needs_support');
    expect((await inbox()).at(-1)?.outcome_reason).toMatch(/^other tickets still open \(1 being opened\)/);
    expect((await view(rt)).identities).toContainEqual({ kind: 'zendesk_ticket', value: '900' });
  });

  it('a resolution for a ticket nobody has creates no customer', async () => {
    rt = await start();
    const body = JSON.stringify(zendeskStatusChanged({ id: 4242, status: 'solved', subject: 's', priority: null, requester_id: 1, external_id: null, tags: [], created_at: '', updated_at: '' }, 'open'));
    const res = await rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, SECRET) });
    expect(res.status).toBe(200);
    expect((await t.db.query('SELECT 1 FROM customers')).rows).toHaveLength(0);
    expect((await t.db.query('SELECT 1 FROM support_tickets')).rows).toHaveLength(0);
    expect((await inbox())[0]).toMatchObject({ outcome: 'ignored', outcome_reason: expect.stringMatching(/^no customer has ticket #4242/) });
  });

  it('the app\'s own support.resolved (no ticket id) still clears support at once', async () => {
    rt = await start();
    await post(rt, escalation('evt-a', 'esc-a'));
    await post(rt, escalation('evt-b', 'esc-b'));
    await settled(t.db);
    await post(rt, { id: 'res-1', type: 'support.resolved', customer: { email: 'ada@example.com' }, data: { escalation_id: 'esc-a' } });
    expect((await view(rt)).support).toBe('none');
  });

  it('sandbox loop: an agent solves the ticket in the emulator, its signed webhook reaches Handoff over HTTP', async () => {
    rt = await startTestApp(t, {
      worker: true,
      web: true,
      env: { ZENDESK_BASE_URL: zd.url, ZENDESK_EMAIL: zd.email, ZENDESK_API_TOKEN: zd.apiToken, ZENDESK_WEBHOOK_SECRET: SECRET },
    });
    zd.configureWebhook({ url: `${rt.url}/api/webhooks/zendesk`, secret: SECRET });
    await post(rt, escalation('evt-s', 'esc-s'));
    await settled(t.db);
    const ticket = [...zd.tickets.values()][0]!;
    const delivery = await zd.setStatus(ticket.id, 'solved');
    expect(delivery).toMatchObject({ status: 200 });
    const app = rt;
    await waitUntil(async () => (await view(app)).support === 'none', 5000, 'support back to none');
  });
});
