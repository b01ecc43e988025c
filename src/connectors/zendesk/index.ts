import type { AppConfig } from '../../config/index.js';
import { ProviderError } from '../../errors.js';
import { providerFetch, readProviderJson } from '../http.js';
import type { Connector, ConnectorResult, CustomerSnapshot, JobToRun } from '../types.js';
import { creationKey, escalationFrom, followUpBody, newTicketBody, refTag, type Escalation } from './ticket.js';

export { PRIORITIES, creationKey, escalationFrom, followUpBody, newTicketBody, refTag, ticketPriority, ticketTags } from './ticket.js';
export type { Escalation, Priority } from './ticket.js';

export type ZendeskConfig = NonNullable<AppConfig['zendesk']>;

interface Ticket {
  id: number;
  status: string;
  tags: string[];
}

type Action = 'created' | 'commented' | 'reopened' | 'already';

const TICKETS = '/api/v2/tickets';

/**
 * Zendesk Support API v2. One job kind, `create_ticket` (effect zendesk_ticket), payload.facts
 * {escalation_id, subject?, message?, priority?, plan?, mrr?}. Invariant: ONE ticket per escalation id
 * (its external_id), whatever the number of jobs, retries, workers or hours between them.
 *
 * Request plan:
 *   1. GET /api/v2/tickets.json?external_id=<escalation id>. Always, not only on retries: Zendesk keeps
 *      idempotency keys ~2 h, and a second request in the same conversation may come days later.
 *   2. A ticket that is not closed exists:
 *        it carries this job's ref tag → this job already delivered (a retry after a lost answer): done;
 *        otherwise → PUT a private comment with the new message (+ the ref tag; + status open if solved).
 *   3. None → POST /api/v2/tickets.json with Idempotency-Key = creationKey(escalation id). Every job of
 *      the escalation shares that key, so of any number of concurrent creators exactly one creates:
 *        201, x-idempotency-lookup miss → created; hit → this same request already created it (the
   *        job ran twice at once): the same ticket, reported as created;
 *        400 IdempotentRequestError (same key, another job's body) → someone else created it: back to 1
 *        once; still not visible → a retryable 409 (never a second POST without the key).
 *   Only closed tickets (they can never be updated) → a follow-up ticket (via_followup_source_id) under
 *   a key that names the closed one, so it too is created once.
 * A retry's PUT is the only non-idempotent request; the ref tag check before it makes a retry after a
 * lost PUT answer a no-op instead of a second comment.
 *
 * Failure modes: every non-2xx is a ProviderError from providerFetch; the dispatcher's policy decides
 * (429 honours Retry-After, 422 RecordInvalid is permanent). 401/403 carry `halt: credentials` naming
 * ZENDESK_API_TOKEN: the connector's credential is wrong, not this job. A customer without an email is
 * skipped (a requester needs one; an agent as requester would later tie unrelated customers together).
 * The token goes only into the Authorization header; messages and results never carry message bodies.
 */
export function createZendeskConnector(cfg: ZendeskConfig, http: { timeoutMs: number }): Connector {
  const authorization = `Basic ${Buffer.from(`${cfg.email}/token:${cfg.apiToken}`).toString('base64')}`;

  const call = async (method: string, path: string, signal: AbortSignal, opts: { body?: unknown; headers?: Record<string, string>; expect?: number[] } = {}) => {
    const res = await providerFetch(
      'zendesk',
      `${cfg.baseUrl}${path}`,
      {
        method,
        headers: { authorization, accept: 'application/json', ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        body: opts.body ? JSON.stringify(opts.body) : undefined,
      },
      { timeoutMs: http.timeoutMs, signal, expect: opts.expect },
    );
    return { status: res.status, lookup: res.headers.get('x-idempotency-lookup') ?? undefined, json: await readProviderJson('zendesk', res, method) };
  };

  async function lookUp(escalationId: string, signal: AbortSignal): Promise<Ticket[]> {
    const { json } = await call('GET', `${TICKETS}.json?external_id=${encodeURIComponent(escalationId)}`, signal);
    const list = (json as { tickets?: unknown } | null)?.tickets;
    if (!Array.isArray(list)) throw new ProviderError('zendesk', 'protocol', 'zendesk GET tickets by external_id returned no "tickets" list');
    return list.map(asTicket);
  }

  /** The created (or concurrently created by this same job) ticket, or undefined when another job holds the key. */
  async function create(key: string, body: unknown, signal: AbortSignal): Promise<{ ticket: Ticket; lookup?: string } | undefined> {
    const res = await call('POST', `${TICKETS}.json`, signal, { body, headers: { 'idempotency-key': key }, expect: [400] });
    if (res.status === 400) {
      const err = res.json as { error?: unknown; description?: unknown } | null;
      if (err?.error === 'IdempotentRequestError') return undefined;
      const why = typeof err?.description === 'string' ? err.description.slice(0, 200) : 'bad request';
      throw new ProviderError('zendesk', 'http', `zendesk POST → HTTP 400: ${why}`, { httpStatus: 400 });
    }
    return { ticket: asTicket((res.json as { ticket?: unknown } | null)?.ticket), lookup: res.lookup };
  }

  async function deliver(job: JobToRun, customer: CustomerSnapshot & { email: string }, esc: Escalation, signal: AbortSignal): Promise<ConnectorResult> {
    const ref = refTag(job.idempotencyKey);
    for (let round = 0; round < 2; round++) {
      const tickets = await lookUp(esc.escalationId, signal);
      const live = newest(tickets.filter((t) => t.status !== 'closed'));
      if (live) {
        if (live.tags.includes(ref)) return done(live.id, 'already', esc);
        const reopen = live.status === 'solved';
        await call('PUT', `${TICKETS}/${live.id}.json`, signal, { body: followUpBody(esc, ref, reopen) });
        return done(live.id, reopen ? 'reopened' : 'commented', esc);
      }
      const closed = newest(tickets);
      const created = await create(creationKey(esc.escalationId, closed?.id), newTicketBody(customer, esc, ref, closed?.id), signal);
      if (created) return done(created.ticket.id, 'created', esc, { idempotency: created.lookup ?? null, ...(closed ? { followUpOf: closed.id } : {}) });
    }
    throw new ProviderError('zendesk', 'http', 'zendesk: another job is creating this escalation\'s ticket and it is not visible yet; will look again', { httpStatus: 409 });
  }

  return {
    name: 'zendesk',
    async run(job: JobToRun, customer: CustomerSnapshot, signal: AbortSignal): Promise<ConnectorResult> {
      if (job.kind !== 'create_ticket') throw new Error(`zendesk connector: unknown job kind "${job.kind}" (expected create_ticket)`);
      const esc = escalationFrom(job.payload);
      if (!customer.email) return { status: 'skipped', reason: 'customer has no email: a Zendesk requester needs one (the request stays visible as needs_support)' };
      try {
        return await deliver(job, { ...customer, email: customer.email }, esc, signal);
      } catch (err) {
        throw withCredentialsHalt(err);
      }
    },
  };
}

function done(id: number, action: Action, esc: Escalation, extra: Record<string, unknown> = {}): ConnectorResult {
  const note =
    action === 'created'
      ? `Zendesk ticket #${id} created`
      : action === 'commented'
        ? `Zendesk ticket #${id}: comment added (same escalation)`
        : action === 'reopened'
          ? `Zendesk ticket #${id} reopened: comment added (same escalation)`
          : `Zendesk ticket #${id} already has this request`;
  return {
    status: 'done',
    identities: { zendesk_ticket: String(id) },
    note,
    // ticket_action lets the confirmation email skip a message merely added to an open ticket.
    facts: { ticket_id: id, ticket_action: action },
    result: { ticket_id: id, action, escalation_id: esc.escalationId, ...extra },
  };
}

/** 401/403 mean the API token (or the email it belongs to) is wrong or revoked: the connector halts. */
function withCredentialsHalt(err: unknown): unknown {
  if (!(err instanceof ProviderError) || (err.httpStatus !== 401 && err.httpStatus !== 403) || err.halt) return err;
  return new ProviderError('zendesk', err.kind, `${err.message} (check ZENDESK_EMAIL and ZENDESK_API_TOKEN)`, {
    httpStatus: err.httpStatus,
    cause: err,
    halt: { reason: 'credentials', variable: 'ZENDESK_API_TOKEN' },
  });
}

function newest(tickets: Ticket[]): Ticket | undefined {
  return tickets.reduce<Ticket | undefined>((a, t) => (!a || t.id > a.id ? t : a), undefined);
}

/** A ticket as Zendesk returns it; anything else is a protocol error, not a crash. */
function asTicket(v: unknown): Ticket {
  const o = v as { id?: unknown; status?: unknown; tags?: unknown } | null | undefined;
  const id = typeof o?.id === 'number' ? o.id : typeof o?.id === 'string' && /^\d+$/.test(o.id) ? Number(o.id) : undefined;
  if (!o || id === undefined) throw new ProviderError('zendesk', 'protocol', 'zendesk returned a ticket without a numeric id');
  return {
    id,
    status: typeof o.status === 'string' ? o.status.toLowerCase() : 'open',
    tags: Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}
