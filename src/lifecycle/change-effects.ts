import type { LifecycleState } from '../config/index.js';
import type { DomainEvent } from '../events/types.js';
import type { JobSpec } from './effects.js';
import type { Support } from './table.js';

/** The one outbound message type: the customer's lifecycle or support state changed (or records merged). */
export const CUSTOMER_UPDATED = 'customer.updated';

export interface StateOf {
  lifecycle: LifecycleState;
  support: Support;
}

export interface ChangeInput {
  event: DomainEvent;
  customer: { id: string; email: string | null };
  /** The customer's state before this event (before any merge it caused); null = first seen in this event. */
  before: StateOf | null;
  /** The state this event leaves the customer in. */
  after: StateOf;
  /** The state-table rule that applied, or null (a merge by a stale or ignored event). */
  rule: string | null;
  /** Customer ids merged into this one by this event (they now resolve to `customer.id`). */
  merged: readonly string[];
}

/**
 * Pure: the signed outbound message (connector `webhook`, kind `deliver`) for one event, or undefined when
 * the event changed neither the customer's lifecycle nor support state and merged nothing.
 *
 * - Key `webhook:<source>:<event id>`: one message per cause; a redelivered event queues nothing more, and
 *   the key is the Standard Webhooks `webhook-id`, so receivers can drop repeats.
 * - The payload is fixed now (the change as it happened), unlike CRM sync: a message describes a
 *   transition, and its bytes must be identical on every retry. Messages can arrive out of order (retries,
 *   several workers): receivers order them by `occurred_at`, and `lifecycle.to` / `support.to` are the
 *   full state after the change, never a delta to apply.
 * - A customer first seen in this event has `from: null`.
 */
export function outboundChange(input: ChangeInput): JobSpec | undefined {
  const { event, customer, before, after, rule, merged } = input;
  const changed = !before || before.lifecycle !== after.lifecycle || before.support !== after.support;
  if (!changed && merged.length === 0) return undefined;
  const occurredAt = event.occurredAt.toISOString();
  return {
    connector: 'webhook',
    kind: 'deliver',
    idempotencyKey: `webhook:${event.source}:${event.eventId}`,
    payload: {
      type: CUSTOMER_UPDATED,
      timestamp: occurredAt,
      data: {
        customer_id: customer.id,
        email: customer.email,
        lifecycle: { from: before?.lifecycle ?? null, to: after.lifecycle },
        support: { from: before?.support ?? null, to: after.support },
        rule,
        cause: { source: event.source, event_id: event.eventId, type: event.sourceType },
        occurred_at: occurredAt,
        ...(merged.length ? { merged_customer_ids: [...merged] } : {}),
      },
    },
  };
}
