import { sql, type Queryable } from '../db/index.js';
import type { DomainEvent } from '../events/types.js';

const TICKET_STATUSES: ReadonlySet<unknown> = new Set(['open', 'solved', 'closed']);

/**
 * Helpdesk ticket events inside record()'s transaction, called once the event's customer is known and
 * its row is locked. An event is a ticket event when its facts carry `ticket_id` and `ticket_status`
 * (events/zendesk.ts); every other event (the app's own `support.resolved` included) passes untouched.
 *
 * Returns a reason to record the event as `ignored` (no state change, no effects), or undefined to go on:
 * - No known customer: a helpdesk event never CREATES a customer (a ticket Handoff did not open, for a
 *   requester it does not know, is not a customer signal) → ignored, nothing tracked.
 * - Otherwise the ticket's status is stored (support_tickets; a reopened ticket counts as open again),
 *   and a resolution is held while the customer has another open ticket or a ticket job still queued
 *   or running (its ticket is about to exist, or a new request is about to reopen one). Support goes
 *   back to `none` only with the last one.
 * Concurrency: the caller holds the customer's row lock, so two resolutions for one customer run one
 * after the other and the second counts the first's ticket as solved; neither can miss the other.
 */
export async function trackTicket(
  tx: Queryable,
  event: DomainEvent,
  customer: { id: string } | undefined,
): Promise<string | undefined> {
  const { ticket_id: ticketId, ticket_status: status, escalation_id: escalationId } = event.facts;
  if ((typeof ticketId !== 'number' && typeof ticketId !== 'string') || !TICKET_STATUSES.has(status)) return undefined;
  if (!customer) {
    return event.kind
      ? `no customer has ticket #${ticketId}: only tickets Handoff opened, or of a requester it knows, are followed`
      : undefined;
  }
  const { rows } = await tx.query<{ open_tickets: string[]; queued_tickets: number }>(sql.trackSupportTicket, [
    String(ticketId),
    status,
    typeof escalationId === 'string' ? escalationId : null,
    event.occurredAt,
    customer.id,
  ]);
  if (event.kind !== 'support.resolved') return undefined;
  const open = rows[0]?.open_tickets ?? [];
  const queued = rows[0]?.queued_tickets ?? 0;
  if (open.length === 0 && queued === 0) return undefined;
  const parts = [...(open.length ? [open.map((t) => `#${t}`).join(', ')] : []), ...(queued ? [`${queued} being opened`] : [])];
  return `other tickets still open (${parts.join('; ')}): support stays needs_support until the last one is solved`;
}
