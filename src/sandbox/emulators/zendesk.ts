import { createHmac, randomUUID } from 'node:crypto';
import { canonicalJson, startEmulatorServer, type EmulatorServer, type RecordedRequest, type Reply } from './server.js';
import {
  NOT_FOUND,
  RATE_LIMITED_TEXT,
  TicketStore,
  UNAUTHORIZED,
  ticketWire,
  type StoredTicket,
  type StoredUser,
  type ZendeskStatus,
} from './zendesk-store.js';

/**
 * Zendesk Support API v2 emulator: a real HTTP server on 127.0.0.1 (also usable as a sandbox).
 *
 * Routes (all need `Authorization: Basic base64("{email}/token:{apiToken}")`, else 401
 * {"error":"Couldn't authenticate you"}):
 *   POST /api/v2/tickets.json             201 {"ticket":…}; 422 RecordInvalid (blank comment, bad priority/status/email)
 *     Idempotency-Key: first use → created, `x-idempotency-lookup: miss`; same key and same body within
 *     the window → the stored answer again with `hit` (nothing created); same key, different body → 400
 *     {"error":"IdempotentRequestError",…}. Keys live `idempotencyTtlMs` (default 2 h, like Zendesk);
 *     expireIdempotencyKeys() makes them all lapse now.
 *   GET  /api/v2/tickets.json[?external_id=…]   {"tickets":[…],"next_page":null,"previous_page":null,"count":N}
 *   GET  /api/v2/tickets/{id}.json               200 {"ticket":…} | 404 RecordNotFound
 *   GET  /api/v2/tickets/show_many.json?ids=1,2  {"tickets":[…]} (unknown ids left out; ≤ 100 ids)
 *   PUT  /api/v2/tickets/{id}.json               comment / status / priority / subject / tags / additional_tags /
 *                                                remove_tags → 200 {"ticket":…,"audit":…}; closed → 422
 *   GET  /api/v2/tickets/{id}/comments.json      {"comments":[…]}
 * Faults (faults.ts) come first; a 429 without a body gets Zendesk's text, a 401 its JSON. With
 * `rateLimit`, requests beyond it answer 429 + Retry-After (seconds until the window frees).
 *
 * Webhooks: with `webhook: {url, secret}` (or configureWebhook later), every status change (API or setStatus) is POSTed to `url` as
 * a signed `zen:event-type:ticket.status_changed` event, as Zendesk's event subscriptions do; each
 * attempt is kept in `deliveries`. signZendeskWebhook / zendeskStatusChanged build the same for tests.
 */
export interface ZendeskEmulatorOptions {
  email?: string;
  apiToken?: string;
  idempotencyTtlMs?: number;
  rateLimit?: { max: number; intervalMs: number };
  webhook?: { url: string; secret: string };
}

export interface WebhookDelivery {
  event: ZendeskEvent;
  status?: number;
  error?: string;
}

export interface ZendeskEmulator extends EmulatorServer {
  email: string;
  apiToken: string;
  /** Keyed by ticket id. Mutate freely to arrange a test. */
  tickets: Map<number, StoredTicket>;
  users: Map<number, StoredUser>;
  deliveries: WebhookDelivery[];
  /** Idempotency keys currently remembered. */
  idempotencyKeys(): string[];
  /** As if Zendesk's ~2 h window had passed: every key is forgotten (tickets stay). */
  expireIdempotencyKeys(): void;
  ticketsByExternalId(externalId: string): StoredTicket[];
  /** Where status changes are delivered (set after start when the receiver's URL is known); undefined stops it. */
  configureWebhook(target: { url: string; secret: string } | undefined): void;
  /** An agent changes a ticket's status (as in the Zendesk UI); resolves after the webhook (if any) was tried. */
  setStatus(id: number, status: ZendeskStatus): Promise<WebhookDelivery | undefined>;
}

export const ZENDESK_TEST_EMAIL = 'agent@handoff.test';
export const ZENDESK_TEST_TOKEN = 'zd-emulator-api-token-0123456789';
export const ZENDESK_ACCOUNT_ID = 24_681_357;
export const ZENDESK_WEBHOOK_ID = '01HANDOFFEMULATORWEBHOOK00';
const HOUR = 3_600_000;

interface Remembered {
  fingerprint: string;
  reply: Reply;
  expiresAt: number;
}

export async function startZendeskEmulator(opts: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> {
  const email = opts.email ?? ZENDESK_TEST_EMAIL;
  const apiToken = opts.apiToken ?? ZENDESK_TEST_TOKEN;
  const expected = `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;
  const ttl = opts.idempotencyTtlMs ?? 2 * HOUR;
  const store = new TicketStore(email);
  const keys = new Map<string, Remembered>();
  const recent: number[] = [];
  const deliveries: WebhookDelivery[] = [];
  let webhook = opts.webhook;
  let origin = '';

  function route(req: RecordedRequest, raw: string): Reply {
    if (req.headers.authorization !== expected) return { status: 401, body: UNAUTHORIZED };
    if (opts.rateLimit) {
      const now = Date.now();
      while (recent.length && now - recent[0]! >= opts.rateLimit.intervalMs) recent.shift();
      if (recent.length >= opts.rateLimit.max) {
        const wait = Math.max(1, Math.ceil((opts.rateLimit.intervalMs - (now - recent[0]!)) / 1000));
        return { status: 429, body: RATE_LIMITED_TEXT, headers: { 'retry-after': String(wait) } };
      }
      recent.push(now);
    }
    const url = new URL(req.path, 'http://emulator');
    const path = url.pathname;
    if ((req.method === 'POST' || req.method === 'PUT') && raw && typeof req.body === 'string') {
      return { status: 400, body: { error: 'Unprocessable Entity', description: 'The request body is not valid JSON' } };
    }
    const ticketInput = (req.body as { ticket?: unknown } | undefined)?.ticket;
    const input = ticketInput && typeof ticketInput === 'object' && !Array.isArray(ticketInput) ? (ticketInput as Record<string, unknown>) : undefined;

    if (path === '/api/v2/tickets.json' && req.method === 'POST') return idempotent(req, () => created(input));
    if (path === '/api/v2/tickets.json' && req.method === 'GET') {
      const ext = url.searchParams.get('external_id');
      const list = ext === null ? [...store.tickets.values()] : store.byExternalId(ext);
      return { status: 200, body: { tickets: list.map((t) => ticketWire(t, origin)), next_page: null, previous_page: null, count: list.length } };
    }
    if (path === '/api/v2/tickets/show_many.json' && req.method === 'GET') {
      // Unknown (deleted) ids are left out, like Zendesk; at most 100 ids.
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter((v) => /^\d+$/.test(v)).map(Number);
      if (ids.length > 100) return { status: 400, body: { error: 'InvalidValue', description: 'at most 100 ids' } };
      const list = ids.map((id) => store.tickets.get(id)).filter((t): t is StoredTicket => t !== undefined);
      return { status: 200, body: { tickets: list.map((t) => ticketWire(t, origin)), next_page: null, previous_page: null, count: list.length } };
    }
    const one = /^\/api\/v2\/tickets\/(\d+)(\/comments)?\.json$/.exec(path);
    if (one) {
      const id = Number(one[1]);
      const t = store.tickets.get(id);
      if (one[2]) {
        if (req.method !== 'GET') return { status: 404, body: NOT_FOUND };
        return t ? { status: 200, body: { comments: t.comments, next_page: null, previous_page: null, count: t.comments.length } } : { status: 404, body: NOT_FOUND };
      }
      if (req.method === 'GET') return t ? { status: 200, body: { ticket: ticketWire(t, origin) } } : { status: 404, body: NOT_FOUND };
      if (req.method === 'PUT') {
        if (!input) return { status: 400, body: { error: 'InvalidEndpoint', description: 'expected {"ticket": {…}}' } };
        const r = store.update(id, input);
        if ('error' in r) return { status: r.status, body: r.error };
        if (r.statusChanged) void deliver(r.ticket, r.statusChanged.from);
        return { status: 200, body: { ticket: ticketWire(r.ticket, origin), audit: { id: Date.now(), ticket_id: id, created_at: r.ticket.updated_at } } };
      }
    }
    return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } };
  }

  function created(input: Record<string, unknown> | undefined): Reply {
    if (!input) return { status: 400, body: { error: 'InvalidEndpoint', description: 'expected {"ticket": {…}}' } };
    const r = store.create(input);
    if ('error' in r) return { status: r.status, body: r.error };
    return { status: 201, body: { ticket: ticketWire(r.ticket, origin) }, headers: { location: `${origin}/api/v2/tickets/${r.ticket.id}.json` } };
  }

  /** Zendesk's Idempotency-Key semantics for ticket creation. Errors are not remembered (a retry may succeed). */
  function idempotent(req: RecordedRequest, run: () => Reply): Reply {
    const header = req.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) return run();
    const now = Date.now();
    const fingerprint = canonicalJson(req.body);
    const seen = keys.get(key);
    if (seen && seen.expiresAt > now) {
      if (seen.fingerprint !== fingerprint) {
        return { status: 400, body: { error: 'IdempotentRequestError', description: "Request parameters don't match the given idempotency key" } };
      }
      return { ...seen.reply, headers: { ...seen.reply.headers, 'x-idempotency-lookup': 'hit' } };
    }
    const reply = run();
    if (reply.status < 300) keys.set(key, { fingerprint, reply, expiresAt: now + ttl });
    return { ...reply, headers: { ...reply.headers, 'x-idempotency-lookup': 'miss' } };
  }

  async function deliver(ticket: StoredTicket, previous: ZendeskStatus): Promise<WebhookDelivery | undefined> {
    const target = webhook;
    if (!target) return undefined;
    const event = zendeskStatusChanged(ticket, previous);
    const record: WebhookDelivery = { event };
    deliveries.push(record);
    const body = JSON.stringify(event);
    try {
      const res = await fetch(target.url, { method: 'POST', body, headers: signZendeskWebhook(body, target.secret) });
      record.status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    return record;
  }

  const server = await startEmulatorServer({
    handle: route,
    faultBody: (status) =>
      status === 429
        ? { body: RATE_LIMITED_TEXT, contentType: 'text/plain; charset=utf-8' }
        : { body: JSON.stringify(status === 401 ? UNAUTHORIZED : status === 404 ? NOT_FOUND : { error: status >= 500 ? 'InternalServerError' : `Emulated${status}` }), contentType: 'application/json; charset=utf-8' },
  });
  origin = server.url;

  return {
    ...server,
    email,
    apiToken,
    tickets: store.tickets,
    users: store.users,
    deliveries,
    idempotencyKeys: () => [...keys.entries()].filter(([, v]) => v.expiresAt > Date.now()).map(([k]) => k),
    expireIdempotencyKeys: () => keys.clear(),
    ticketsByExternalId: (ext) => store.byExternalId(ext),
    configureWebhook: (target) => {
      webhook = target;
    },
    async setStatus(id, status) {
      const ticket = store.tickets.get(id);
      if (!ticket) throw new Error(`no ticket #${id}`);
      const previous = ticket.status;
      ticket.status = status;
      ticket.updated_at = new Date().toISOString();
      return previous === status ? undefined : deliver(ticket, previous);
    },
  };
}

/** The body of a Zendesk event-subscription delivery (ids as strings, statuses upper-case, as Zendesk sends). */
export interface ZendeskEvent {
  account_id: number;
  detail: Record<string, unknown>;
  event: { current: string; previous: string };
  id: string;
  subject: string;
  time: string;
  type: string;
  zendesk_event_version: string;
}

export function zendeskStatusChanged(
  ticket: Pick<StoredTicket, 'id' | 'status' | 'subject' | 'priority' | 'requester_id' | 'external_id' | 'tags' | 'created_at' | 'updated_at'>,
  previous: string,
  opts: { id?: string; time?: Date } = {},
): ZendeskEvent {
  const time = opts.time ?? new Date();
  return {
    account_id: ZENDESK_ACCOUNT_ID,
    detail: {
      actor_id: '-1',
      assignee_id: null,
      brand_id: '360000000001',
      created_at: ticket.created_at,
      custom_status: '1',
      description: '',
      external_id: ticket.external_id,
      form_id: '360000000002',
      group_id: null,
      id: String(ticket.id),
      is_public: true,
      organization_id: null,
      priority: ticket.priority ? ticket.priority.toUpperCase() : null,
      requester_id: String(ticket.requester_id),
      status: ticket.status.toUpperCase(),
      subject: ticket.subject,
      submitter_id: String(ticket.requester_id),
      tags: [...ticket.tags],
      type: null,
      updated_at: ticket.updated_at,
      via: { channel: 'web_service' },
    },
    event: { current: ticket.status.toUpperCase(), previous: previous.toUpperCase() },
    id: opts.id ?? randomUUID(),
    subject: `zen:ticket:${ticket.id}`,
    time: time.toISOString(),
    type: 'zen:event-type:ticket.status_changed',
    zendesk_event_version: '2022-11-06',
  };
}

/**
 * The headers Zendesk sends with a webhook delivery: X-Zendesk-Webhook-Signature = base64 HMAC-SHA256
 * of (timestamp + raw body), keyed with the signing secret as text; the timestamp is ISO-8601 (seconds).
 */
export function signZendeskWebhook(body: string, secret: string, at: Date = new Date()): Record<string, string> {
  const timestamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'content-type': 'application/json',
    'x-zendesk-account-id': String(ZENDESK_ACCOUNT_ID),
    'x-zendesk-webhook-id': ZENDESK_WEBHOOK_ID,
    'x-zendesk-webhook-invocation-id': String(Math.floor(Math.random() * 1e10)),
    'x-zendesk-webhook-signature-timestamp': timestamp,
    'x-zendesk-webhook-signature': createHmac('sha256', secret).update(timestamp + body).digest('base64'),
  };
}

