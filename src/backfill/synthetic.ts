/**
 * Stripe API object → the synthetic Stripe event a webhook would have carried, and its DomainEvent
 * through the SAME mapping as a webhook (events/stripe.ts fromStripe). Pure.
 *
 * Invariants:
 * - Deterministic: the same object in the same state gives the same event id
 *   (`backfill:<object id>:<status>:<timestamp>`), so a second backfill records nothing new.
 * - `created` (the watermark) is the object's OWN timestamp for the state it is in, never the time of
 *   the read: a webhook newer than that wins, an older one is stale, and a backfill run after a newer
 *   webhook cannot regress it. It is the best lower bound Stripe's objects give of when the state began:
 *     subscription trialing   → trial_start
 *     subscription canceled   → ended_at (canceled_at)
 *     other statuses          → the start of the current billing period (≥ start_date)
 *     invoice paid            → status_transitions.paid_at
 *     invoice open, attempted → status_transitions.finalized_at (the first attempt follows it)
 *   A lower bound errs on the safe side for everything Stripe did after it: only an event between the
 *   bound and the real change (rare) can still apply after a backfill.
 * - An object no webhook type maps to a lifecycle fact (a draft / void / unattempted invoice) is skipped,
 *   not recorded.
 */
import { createHash } from 'node:crypto';
import { fromStripe } from '../events/index.js';
import type { DomainEvent } from '../events/types.js';

export type ObjectKind = 'customers' | 'subscriptions' | 'invoices';
type Obj = Record<string, unknown>;

export interface SyntheticStripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: null;
  livemode: boolean;
  pending_webhooks: 0;
  request: { id: null; idempotency_key: null };
  data: { object: Obj };
  /** Marks the event as made by `handoff backfill`, not delivered by Stripe. */
  handoff_backfill: true;
}

export type Synthesis = { event: SyntheticStripeEvent; domain: DomainEvent } | { skipped: string };

/** The synthetic event (and its domain event) for one object read from the Stripe API, or why none. */
export function synthesize(kind: ObjectKind, object: Obj): Synthesis {
  const made = kind === 'customers' ? customerEvent(object) : kind === 'subscriptions' ? subscriptionEvent(object) : invoiceEvent(object);
  if ('skipped' in made) return made;
  const event: SyntheticStripeEvent = {
    id: made.id,
    object: 'event',
    type: made.type,
    created: made.created,
    api_version: null,
    livemode: object.livemode === true,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    data: { object },
    handoff_backfill: true,
  };
  return { event, domain: fromStripe(event) };
}

interface Made {
  id: string;
  type: string;
  created: number;
}

/** A customer carries identities only (customer.* has no lifecycle rule): it links the email to the Stripe id. */
function customerEvent(c: Obj): Made | { skipped: string } {
  const id = str(c.id);
  const created = num(c.created);
  if (!id || created === undefined) return { skipped: 'customer without id or created' };
  if (c.deleted === true) return { skipped: 'deleted customer' };
  // The email is part of the id: a changed address is new information, an unchanged one a duplicate.
  const email = typeof c.email === 'string' ? c.email.trim().toLowerCase() : '';
  const tag = email ? `email-${createHash('sha256').update(email).digest('hex').slice(0, 12)}` : 'no-email';
  return { id: `backfill:${id}:${tag}:${created}`, type: 'customer.updated', created };
}

function subscriptionEvent(s: Obj): Made | { skipped: string } {
  const id = str(s.id);
  const status = str(s.status);
  if (!id || !status || num(s.created) === undefined) return { skipped: 'subscription without id, status or created' };
  const created = subscriptionStatusSince(s);
  return { id: `backfill:${id}:${status}:${created}`, type: status === 'canceled' ? 'customer.subscription.deleted' : 'customer.subscription.updated', created };
}

/** Unix seconds: the best lower bound of when the subscription entered its current status (see the file comment). */
export function subscriptionStatusSince(s: Obj): number {
  const created = num(s.created) ?? 0;
  const atLeastCreated = (...vs: Array<number | undefined>) => Math.max(created, ...vs.filter((v): v is number => v !== undefined));
  switch (s.status) {
    case 'trialing':
      return atLeastCreated(num(s.trial_start));
    case 'canceled':
    case 'incomplete_expired':
      return atLeastCreated(num(s.ended_at) ?? num(s.canceled_at));
    default:
      return atLeastCreated(num(s.start_date), currentPeriodStart(s));
  }
}

/** Pre-basil API versions put current_period_start on the subscription; newer ones on each item. */
function currentPeriodStart(s: Obj): number | undefined {
  const top = num(s.current_period_start);
  if (top !== undefined) return top;
  const items = (s.items as Obj | undefined)?.data;
  if (!Array.isArray(items)) return undefined;
  const starts = items.map((i) => num((i as Obj | undefined)?.current_period_start)).filter((v): v is number => v !== undefined);
  return starts.length ? Math.max(...starts) : undefined;
}

function invoiceEvent(i: Obj): Made | { skipped: string } {
  const id = str(i.id);
  const created = num(i.created);
  if (!id || created === undefined) return { skipped: 'invoice without id or created' };
  const transitions = (i.status_transitions ?? {}) as Obj;
  if (i.status === 'paid') {
    const at = Math.max(created, num(transitions.paid_at) ?? created);
    return { id: `backfill:${id}:paid:${at}`, type: 'invoice.paid', created: at };
  }
  if (i.status === 'open' && (num(i.attempt_count) ?? 0) > 0) {
    const at = Math.max(created, num(transitions.finalized_at) ?? created);
    return { id: `backfill:${id}:payment_failed:${at}`, type: 'invoice.payment_failed', created: at };
  }
  return { skipped: `invoice ${String(i.status)}${i.status === 'open' ? ' (not attempted yet)' : ''} tells nothing about the lifecycle` };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
