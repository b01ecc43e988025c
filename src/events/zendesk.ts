/**
 * Zendesk webhook (already verified, parsed JSON) → DomainEvent. Pure.
 *
 * Two body shapes are accepted:
 * 1. An event subscription (Admin Center → Webhooks → subscribe to "Ticket status changed"):
 *      {"type":"zen:event-type:ticket.status_changed","id":"<uuid>","time":"…","subject":"zen:ticket:42",
 *       "detail":{"id":"42","status":"SOLVED","external_id":"esc-1","requester_id":"…",…},
 *       "event":{"current":"SOLVED","previous":"OPEN"}}
 *    Ids arrive as strings, statuses upper-case. eventId = `id`; occurredAt = `time`.
 *    Every other zen:event-type is stored and acknowledged with kind null.
 * 2. A trigger's JSON body (README: "Zendesk"), for accounts that prefer triggers:
 *      {"ticket_id":"{{ticket.id}}","status":"{{ticket.status}}","external_id":"{{ticket.external_id}}",
 *       "requester_email":"{{ticket.requester.email}}","updated_at":"{{ticket.updated_at_with_timestamp}}"}
 *    Statuses are matched case-insensitively ("Solved"). eventId = ticket + status + updated_at, so a
 *    redelivery is a duplicate and a later solve of the same ticket is not; without updated_at, the
 *    signed timestamp (`receivedAt`) stands in.
 *
 * Meaning: solved or closed → support.resolved with facts {ticket_id, ticket_status, escalation_id?};
 * new/open/pending/hold → kind null (the status is still tracked by the pipeline: a reopened ticket
 * counts as open again); deleted/archived/scrubbed → kind null, tracked as closed. Identities: the
 * ticket (`zendesk_ticket`), plus the requester's email when the body has one. The Zendesk user id is
 * NOT used as an identity: when an agent is a ticket's requester it would tie unrelated customers together.
 * Each ticket is its own watermark object, so an older status report never overrides a newer one.
 * A body that fits neither shape → BadRequestError listing the problems.
 */
import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { fieldErrors, normaliseEmail, type DomainEvent, type Identities } from './types.js';

/** Handoff's view of a ticket's status. */
export type TicketStatus = 'open' | 'solved' | 'closed';

const STATUS: Readonly<Record<string, TicketStatus>> = {
  new: 'open',
  open: 'open',
  pending: 'open',
  hold: 'open',
  'on-hold': 'open',
  solved: 'solved',
  closed: 'closed',
  archived: 'closed',
  deleted: 'closed',
  scrubbed: 'closed',
};

export const ZENDESK_STATUS_CHANGED = 'zen:event-type:ticket.status_changed';
export const ZENDESK_TRIGGER_TYPE = 'trigger.ticket_status';

const TicketId = z.union([z.string().trim().regex(/^\d{1,15}$/, 'must be a Zendesk ticket id (digits)'), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)]);
const Text = z.union([z.string(), z.number()]).nullish();

const Subscription = z.object({
  type: z.string().startsWith('zen:event-type:'),
  id: z.string().min(1).max(200),
  time: z.string().min(1),
  // status / current are checked only for a status change: other event types carry booleans, numbers,
  // lists or objects there (custom fields, assignees) and are acknowledged with kind null, never refused.
  detail: z.object({ id: TicketId.optional(), status: z.unknown().optional(), external_id: Text }).passthrough().optional(),
  event: z.object({ current: z.unknown().optional() }).passthrough().optional(),
});

const Trigger = z.object({
  ticket_id: TicketId,
  status: z.string().min(1).max(50),
  external_id: Text,
  requester_email: z.string().nullish(),
  updated_at: z.string().nullish(),
});

export function fromZendesk(payload: unknown, receivedAt: Date): DomainEvent {
  const isSubscription = typeof payload === 'object' && payload !== null && typeof (payload as { type?: unknown }).type === 'string';
  return isSubscription ? fromSubscription(payload) : fromTrigger(payload, receivedAt);
}

function fromSubscription(payload: unknown): DomainEvent {
  const p = Subscription.safeParse(payload);
  if (!p.success) throw new BadRequestError('invalid zendesk event payload', fieldErrors(p.error.issues));
  const { type, id, time, detail, event } = p.data;
  const occurredAt = date(time, 'time');
  const ticketId = detail?.id === undefined ? undefined : Number(detail.id);
  const identities: Identities = ticketId !== undefined && type.startsWith('zen:event-type:ticket.') ? { zendesk_ticket: String(ticketId) } : {};
  const base = { source: 'zendesk' as const, eventId: id, sourceType: type, occurredAt, identities };
  if (type !== ZENDESK_STATUS_CHANGED) {
    return { ...base, kind: null, facts: {}, ignoredReason: `no rule for zendesk event type ${type} (subscribe the webhook to ticket status changes)` };
  }
  if (ticketId === undefined) throw new BadRequestError('invalid zendesk event payload', [{ path: 'detail.id', message: 'a ticket status change must name its ticket' }]);
  const raw = [event?.current, detail?.status].find((v): v is string => typeof v === 'string' && v !== '');
  if (!raw) throw new BadRequestError('invalid zendesk event payload', [{ path: 'event.current', message: 'a ticket status change must carry the new status' }]);
  return withStatus(base, ticketId, raw, short(detail?.external_id));
}

function fromTrigger(payload: unknown, receivedAt: Date): DomainEvent {
  const p = Trigger.safeParse(payload);
  if (!p.success) {
    throw new BadRequestError(
      'invalid zendesk webhook body: expected a Zendesk event ("type": "zen:event-type:…") or the trigger body from the README (ticket_id, status, updated_at)',
      fieldErrors(p.error.issues),
    );
  }
  const t = p.data;
  const ticketId = Number(t.ticket_id);
  const updated = t.updated_at?.trim() || undefined;
  // The placeholder's format is the account's; when it does not parse, the signed time stands in.
  const parsed = updated ? new Date(updated) : undefined;
  const occurredAt = parsed && !Number.isNaN(parsed.getTime()) ? parsed : receivedAt;
  const email = normaliseEmail(t.requester_email);
  const identities: Identities = { zendesk_ticket: String(ticketId), ...(email ? { email } : {}) };
  const status = t.status.trim().toLowerCase();
  const eventId = `ticket-${ticketId}-${status}-${updated ?? receivedAt.toISOString()}`.slice(0, 200);
  return withStatus({ source: 'zendesk', eventId, sourceType: ZENDESK_TRIGGER_TYPE, occurredAt, identities }, ticketId, status, short(t.external_id));
}

function withStatus(
  base: Pick<DomainEvent, 'source' | 'eventId' | 'sourceType' | 'occurredAt' | 'identities'>,
  ticketId: number,
  rawStatus: string,
  escalationId: string | undefined,
): DomainEvent {
  const zendeskStatus = rawStatus.trim().toLowerCase();
  const status = STATUS[zendeskStatus];
  if (!status) throw new BadRequestError('invalid zendesk ticket status', [{ path: 'status', message: `unknown Zendesk status ${JSON.stringify(rawStatus.slice(0, 40))}` }]);
  const facts: DomainEvent['facts'] = { ticket_id: ticketId, ticket_status: status, zendesk_status: zendeskStatus };
  if (escalationId !== undefined) facts.escalation_id = escalationId;
  const watermark = { keys: [`zendesk_ticket:${ticketId}`], created: Math.floor(base.occurredAt.getTime() / 1000) };
  const resolved = zendeskStatus === 'solved' || zendeskStatus === 'closed';
  if (resolved) return { ...base, kind: 'support.resolved', facts, watermark };
  return { ...base, kind: null, facts, watermark, ignoredReason: `zendesk ticket #${ticketId} is ${zendeskStatus}: support changes only when a ticket is solved or closed` };
}

function date(v: string, path: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new BadRequestError('invalid zendesk webhook time', [{ path, message: 'must be an ISO-8601 time' }]);
  return d;
}

/** external_id as a short string; Zendesk sends null (or an empty string from a trigger) when unset. */
function short(v: string | number | null | undefined): string | undefined {
  const s = v === null || v === undefined ? '' : String(v).trim();
  return s && s.length <= 200 ? s : undefined;
}
