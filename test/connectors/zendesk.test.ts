import { afterEach, describe, expect, it } from 'vitest';
import { createZendeskConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { creationKey, refTag, ticketPriority } from '../../src/connectors/zendesk/index.js';
import { decide, isRetryable } from '../../src/dispatcher/retry-policy.js';
import { ProviderError } from '../../src/errors.js';
import { waitUntil } from '../support/wait.js';
import { startZendeskEmulator, ZENDESK_TEST_EMAIL, ZENDESK_TEST_TOKEN, type ZendeskEmulator, type ZendeskEmulatorOptions } from '../emulators/index.js';

const signal = new AbortController().signal;
const policy = { retryBaseMs: 1000, retryMaxMs: 3_600_000, maxAttempts: 12, maxAgeMs: 72 * 3_600_000 };

function customer(over: Partial<CustomerSnapshot> = {}): CustomerSnapshot {
  return { id: 'c1', email: 'ada@example.com', name: 'Ada Lovelace', lifecycle: 'paid', support: 'needs_support', identities: {}, ...over };
}

/** A create_ticket job as the zendesk_ticket effect queues it (one per escalation EVENT). */
function job(eventId: string, facts: Record<string, unknown> = {}, attempts = 1): JobToRun {
  return {
    id: Number(eventId.replace(/\D/g, '') || 1),
    connector: 'zendesk',
    kind: 'create_ticket',
    idempotencyKey: `zendesk_ticket:app:${eventId}`,
    attempts,
    payload: { facts: { escalation_id: 'esc-1', subject: 'Cannot log in', message: 'I get a 500 on login', priority: 'high', ...facts } },
  };
}

let emu: ZendeskEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function setup(opts: ZendeskEmulatorOptions = {}, token = ZENDESK_TEST_TOKEN): Promise<{ emu: ZendeskEmulator; zd: Connector }> {
  emu = await startZendeskEmulator(opts);
  const zd = createZendeskConnector({ baseUrl: emu.url, email: ZENDESK_TEST_EMAIL, apiToken: token }, { timeoutMs: 2000 });
  return { emu, zd };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const calls = (e: ZendeskEmulator) => e.requests.map((r) => `${r.method} ${r.path}${r.fault ? ` (${r.fault})` : ''}`);
const LOOKUP = 'GET /api/v2/tickets.json?external_id=esc-1';
const CREATE = 'POST /api/v2/tickets.json';

describe('zendesk connector: create_ticket', () => {
  it('creates one ticket with requester, subject, body, priority, tags and external_id; Basic auth and an Idempotency-Key', async () => {
    const { emu, zd } = await setup();
    const r = await zd.run(job('evt-1', { plan: 'Pro Monthly', mrr: 49.5 }), customer(), signal);
    const ticket = [...emu.tickets.values()][0]!;
    expect(r).toEqual({
      status: 'done',
      identities: { zendesk_ticket: String(ticket.id) },
      note: `Zendesk ticket #${ticket.id} created`,
      facts: { ticket_id: ticket.id, ticket_action: 'created' },
      result: { ticket_id: ticket.id, action: 'created', escalation_id: 'esc-1', idempotency: 'miss' },
    });
    expect(calls(emu)).toEqual([LOOKUP, CREATE]);
    const post = emu.requests[1]!;
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from(`${ZENDESK_TEST_EMAIL}/token:${ZENDESK_TEST_TOKEN}`).toString('base64')}`);
    expect(post.headers['idempotency-key']).toBe('handoff-escalation-esc-1');
    expect(post.body).toEqual({
      ticket: {
        subject: 'Cannot log in',
        comment: { body: 'I get a 500 on login', public: true },
        requester: { name: 'Ada Lovelace', email: 'ada@example.com' },
        external_id: 'esc-1',
        priority: 'high',
        tags: ['handoff', 'lifecycle_paid', 'plan_pro_monthly', 'mrr_50', refTag('zendesk_ticket:app:evt-1')],
      },
    });
    expect(ticket).toMatchObject({ external_id: 'esc-1', status: 'new', priority: 'high', subject: 'Cannot log in' });
    expect(emu.users.get(ticket.requester_id)).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', role: 'end-user' });
  });

  it('defaults: subject from the customer, a body without a message, priority normal for anything unknown', async () => {
    const { emu, zd } = await setup();
    await zd.run({ ...job('evt-1'), payload: { facts: { escalation_id: 'esc-1', priority: 'P1' } } }, customer({ name: null, lifecycle: 'trial' }), signal);
    const sent = (emu.requests[1]!.body as { ticket: Record<string, unknown> }).ticket;
    expect(sent.subject).toBe('Support request from ada@example.com');
    expect(sent.comment).toEqual({ body: 'ada@example.com asked for help (escalation esc-1); no message was given.', public: true });
    expect(sent.priority).toBe('normal');
    expect(sent.tags).toEqual(['handoff', 'lifecycle_trial', refTag('zendesk_ticket:app:evt-1')]);
    expect(['URGENT', ' low ', 'Normal', undefined, 'whatever'].map((p) => ticketPriority(p))).toEqual(['urgent', 'low', 'normal', 'normal', 'normal']);
  });

  it('the same job again (a retry after a lost answer) reuses the ticket: no second ticket, no comment', async () => {
    const { emu, zd } = await setup();
    const first = await zd.run(job('evt-1'), customer(), signal);
    const again = await zd.run(job('evt-1', {}, 2), customer({ lifecycle: 'past_due' }), signal); // the snapshot changed meanwhile
    expect(emu.tickets.size).toBe(1);
    const ticket = [...emu.tickets.values()][0]!;
    expect(ticket.comments).toHaveLength(1);
    expect(again).toMatchObject({ status: 'done', identities: (first as { identities: unknown }).identities, facts: { ticket_id: ticket.id }, result: { action: 'already' } });
    expect(calls(emu)).toEqual([LOOKUP, CREATE, LOOKUP]);
  });

  it('a lost answer, then a retry after the Idempotency-Key window: found by external_id, not created again', async () => {
    const { emu, zd } = await setup();
    emu.faults.push({ kind: 'delay', ms: 600, match: { method: 'POST' } }); // Zendesk creates it; we have given up by then
    const lost = await failure(createZendeskConnector({ baseUrl: emu.url, email: ZENDESK_TEST_EMAIL, apiToken: ZENDESK_TEST_TOKEN }, { timeoutMs: 300 }).run(job('evt-1'), customer(), signal));
    expect(lost.kind).toBe('timeout');
    await waitUntil(async () => emu.tickets.size === 1, 5000, 'the delayed POST to be processed');
    emu.expireIdempotencyKeys();
    expect(emu.idempotencyKeys()).toEqual([]);
    const r = await zd.run(job('evt-1', {}, 2), customer(), signal);
    expect(emu.tickets.size).toBe(1);
    expect([...emu.tickets.values()][0]!.comments).toHaveLength(1);
    expect(r).toMatchObject({ status: 'done', result: { action: 'already' } });
    expect(calls(emu).slice(-1)).toEqual([LOOKUP]);
  });

  it('a second escalation in the same conversation (same escalation id, another event) adds a private comment, not a ticket', async () => {
    const { emu, zd } = await setup();
    const first = await zd.run(job('evt-1'), customer(), signal);
    const second = await zd.run(job('evt-2', { message: 'Still broken, please hurry' }), customer(), signal);
    expect(emu.tickets.size).toBe(1);
    const ticket = [...emu.tickets.values()][0]!;
    expect(second).toEqual({
      status: 'done',
      identities: (first as { identities: unknown }).identities,
      note: `Zendesk ticket #${ticket.id}: comment added (same escalation)`,
      facts: { ticket_id: ticket.id, ticket_action: 'commented' },
      result: { ticket_id: ticket.id, action: 'commented', escalation_id: 'esc-1' },
    });
    expect(calls(emu)).toEqual([LOOKUP, CREATE, LOOKUP, `PUT /api/v2/tickets/${ticket.id}.json`]);
    expect(emu.requests[3]!.body).toEqual({
      ticket: {
        comment: { body: 'The customer asked again in the same conversation (escalation esc-1):\n\nStill broken, please hurry', public: false },
        additional_tags: [refTag('zendesk_ticket:app:evt-2')],
      },
    });
    expect(ticket.comments.map((c) => [c.public, c.body.slice(-26)])).toEqual([
      [true, 'I get a 500 on login'],
      [false, 'Still broken, please hurry'],
    ]);
    // Its retry after a lost PUT answer: the ref tag is there, so no second comment.
    const retry = await zd.run(job('evt-2', { message: 'Still broken, please hurry' }, 2), customer(), signal);
    expect(retry).toMatchObject({ result: { action: 'already' } });
    expect(ticket.comments).toHaveLength(2);
  });

  it('a second escalation days later (first attempt, key long expired) still finds the ticket: comment, not a ticket', async () => {
    const { emu, zd } = await setup();
    await zd.run(job('evt-1'), customer(), signal);
    emu.expireIdempotencyKeys();
    const r = await zd.run(job('evt-2', { message: 'it is back' }), customer(), signal);
    expect(r).toMatchObject({ result: { action: 'commented' } });
    expect(emu.tickets.size).toBe(1);
  });

  it('a second escalation racing the first past the lookup: the shared key refuses its body (400) → looked up again → comment', async () => {
    const { emu, zd } = await setup();
    await zd.run(job('evt-1'), customer(), signal);
    emu.faults.push({ status: 200, body: '{"tickets":[],"next_page":null,"previous_page":null,"count":0}', match: { method: 'GET' } }); // as if not visible yet
    const r = await zd.run(job('evt-2', { message: 'again' }), customer(), signal);
    expect(emu.tickets.size).toBe(1);
    expect(r).toMatchObject({ result: { action: 'commented' } });
    expect(calls(emu).slice(2)).toEqual([`${LOOKUP} (200)`, CREATE, LOOKUP, 'PUT /api/v2/tickets/1.json']);
  });

  it('a solved ticket is reopened by the new request; a closed one gets a follow-up ticket, created once', async () => {
    const { emu, zd } = await setup();
    await zd.run(job('evt-1'), customer(), signal);
    const ticket = [...emu.tickets.values()][0]!;
    ticket.status = 'solved';
    const reopened = await zd.run(job('evt-2'), customer(), signal);
    expect(reopened).toMatchObject({ note: `Zendesk ticket #${ticket.id} reopened: comment added (same escalation)`, result: { action: 'reopened' } });
    expect(ticket.status).toBe('open');

    ticket.status = 'closed';
    const [a, b] = await Promise.all([zd.run(job('evt-3'), customer(), signal), zd.run(job('evt-3'), customer(), signal)]);
    expect(emu.tickets.size).toBe(2);
    const followUp = [...emu.tickets.values()][1]!;
    expect(followUp).toMatchObject({ external_id: 'esc-1', via_followup_source_id: ticket.id });
    expect([a, b].map((x) => (x as { facts?: { ticket_id: number } }).facts?.ticket_id)).toEqual([followUp.id, followUp.id]);
    expect(emu.idempotencyKeys()).toContain(creationKey('esc-1', ticket.id));
  });

  it('429 → ProviderError with Retry-After honoured by the retry policy', async () => {
    const { emu, zd } = await setup();
    emu.faults.push({ status: 429, retryAfter: 37 });
    const err = await failure(zd.run(job('evt-1'), customer(), signal));
    expect(err).toMatchObject({ kind: 'http', httpStatus: 429, retryAfterMs: 37_000 });
    expect(err.message).toContain('Number of allowed API requests per minute exceeded');
    expect(decide(err, 1, 0, policy)).toMatchObject({ action: 'retry', delayMs: 37_000 });
    expect(emu.tickets.size).toBe(0);
    // the emulator's own per-window limit answers the same way
    await emu.close();
    const limited = await setup({ rateLimit: { max: 2, intervalMs: 60_000 } });
    await limited.zd.run(job('evt-1'), customer(), signal);
    const over = await failure(limited.zd.run(job('evt-2'), customer(), signal));
    expect(over.httpStatus).toBe(429);
    expect(over.retryAfterMs).toBeGreaterThan(0);
  });

  it('401 (wrong token) → halt: credentials, naming ZENDESK_API_TOKEN; the token never appears in the message', async () => {
    const { emu, zd } = await setup({}, 'wrong-token-abcdefgh');
    const err = await failure(zd.run(job('evt-1'), customer(), signal));
    expect(err).toMatchObject({ httpStatus: 401, halt: { reason: 'credentials', variable: 'ZENDESK_API_TOKEN' } });
    expect(err.message).toContain("Couldn't authenticate you");
    expect(err.message).not.toContain('wrong-token');
    expect(err.message).not.toContain(Buffer.from(`${ZENDESK_TEST_EMAIL}/token:wrong-token-abcdefgh`).toString('base64'));
    emu.faults.push({ status: 403 });
    expect((await failure(setupAgain(emu).run(job('evt-1'), customer(), signal))).halt).toEqual({ reason: 'credentials', variable: 'ZENDESK_API_TOKEN' });
    expect(emu.tickets.size).toBe(0);
  });

  it('422 RecordInvalid → permanent (dead at once), with Zendesk\'s description', async () => {
    const { emu, zd } = await setup();
    emu.faults.push({ status: 422, match: { method: 'POST' }, body: '{"error":"RecordInvalid","description":"Record validation errors","details":{"requester":[{"description":"Requester: Email is invalid"}]}}' });
    const err = await failure(zd.run(job('evt-1'), customer(), signal));
    expect(err.httpStatus).toBe(422);
    expect(err.message).toContain('Record validation errors');
    expect(err.halt).toBeUndefined();
    expect(isRetryable(err)).toBe(false);
    expect(decide(err, 1, 0, policy)).toMatchObject({ action: 'dead' });
  });

  it('5xx and resets are retryable; the next attempt still makes one ticket', async () => {
    const { emu, zd } = await setup();
    emu.faults.push({ kind: 'reset', match: { method: 'POST' } });
    const err = await failure(zd.run(job('evt-1'), customer(), signal));
    expect(isRetryable(err)).toBe(true);
    emu.faults.push({ status: 503, match: { method: 'GET' } });
    expect(isRetryable(await failure(zd.run(job('evt-1', {}, 2), customer(), signal)))).toBe(true);
    await zd.run(job('evt-1', {}, 3), customer(), signal);
    expect(emu.tickets.size).toBe(1);
  });

  it('20 concurrent runs of ONE job → one ticket, every run reports it', async () => {
    const { emu, zd } = await setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => zd.run(job('evt-1'), customer(), new AbortController().signal)));
    expect(emu.tickets.size).toBe(1);
    const id = [...emu.tickets.keys()][0]!;
    expect(new Set(results.map((r) => (r as { facts?: { ticket_id: number } }).facts?.ticket_id))).toEqual(new Set([id]));
    expect([...emu.tickets.values()][0]!.comments).toHaveLength(1);
  });

  it('20 concurrent jobs of one escalation (different events) → one ticket and 19 private comments', async () => {
    const { emu, zd } = await setup();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => zd.run(job(`evt-${i + 1}`, { message: `message ${i + 1}` }), customer(), new AbortController().signal)));
    expect(emu.tickets.size).toBe(1);
    const ticket = [...emu.tickets.values()][0]!;
    expect(ticket.comments).toHaveLength(20);
    expect(ticket.comments.filter((c) => !c.public)).toHaveLength(19);
    const actions = results.map((r) => (r.status === 'done' ? String(r.result?.action) : r.status));
    expect(actions.filter((a) => a === 'created')).toHaveLength(1);
    expect(actions.filter((a) => a === 'commented')).toHaveLength(19);
  });

  it('skips a customer without an email; refuses a job without an escalation id or of another kind', async () => {
    const { emu, zd } = await setup();
    expect(await zd.run(job('evt-1'), customer({ email: null }), signal)).toEqual({
      status: 'skipped',
      reason: 'customer has no email: a Zendesk requester needs one (the request stays visible as needs_support)',
    });
    await expect(zd.run({ ...job('evt-1'), payload: { facts: {} } }, customer(), signal)).rejects.toThrow(/escalation_id/);
    await expect(zd.run({ ...job('evt-1'), kind: 'notify' }, customer(), signal)).rejects.toThrow(/unknown job kind/);
    expect(emu.requests).toHaveLength(0);
  });

  it('escalation ids that are not header-safe are hashed into the key', () => {
    expect(creationKey('esc 1 ü')).toMatch(/^handoff-escalation-sha256-[0-9a-f]{32}$/);
    expect(creationKey('esc-1', 7)).toBe('handoff-escalation-esc-1-after-7');
  });
});

function setupAgain(e: ZendeskEmulator): Connector {
  return createZendeskConnector({ baseUrl: e.url, email: ZENDESK_TEST_EMAIL, apiToken: ZENDESK_TEST_TOKEN }, { timeoutMs: 2000 });
}
