/**
 * The domain event: what every sender's payload is turned into before it reaches the pipeline.
 * Pure data; built by events/{stripe,clerk,app}.ts from an already-verified payload.
 */
export type Source = 'stripe' | 'clerk' | 'app' | 'zendesk' | 'chatbot';

/** The normalised meaning of an event. `null` kind = stored and acknowledged, no state change. */
export type DomainEventKind =
  | 'user.signed_up' // a person exists (Clerk user.created, app user.signed_up)
  | 'user.updated' // identity/profile facts only
  | 'user.activated' // app: the user reached the product's activation milestone
  | 'trial.started'
  | 'trial.will_end'
  | 'subscription.active' // paying (checkout paid, subscription active)
  | 'payment.succeeded' // invoice paid with money (amount_paid > 0)
  | 'payment.failed' // invoice.payment_failed
  | 'subscription.past_due' // subscription status past_due | unpaid
  | 'subscription.canceled' // subscription deleted | canceled | incomplete_expired
  | 'charge.refunded'
  | 'support.escalation_requested'
  | 'support.resolved'
  | 'crm.note_requested' // chatbot update_contact_note: one note property on the CRM contact
  | 'customer.tagged'; // chatbot tag_customer: a tag in the timeline, no provider call

/** Identity kinds that link one customer across tools. Emails are normalised (trimmed, lower-case). */
export type IdentityKind = 'email' | 'stripe_customer' | 'app_user' | 'clerk_user' | 'hubspot_contact' | 'zendesk_user' | 'zendesk_ticket';
export type Identities = Partial<Record<IdentityKind, string>>;

export interface DomainEvent {
  source: Source;
  /** The sender's own event id; (source, eventId) is unique in the inbox. */
  eventId: string;
  /** The sender's event type, verbatim (e.g. "invoice.payment_failed"). */
  sourceType: string;
  kind: DomainEventKind | null;
  /** Why kind is null (unknown type, nothing to do), for the timeline. */
  ignoredReason?: string;
  occurredAt: Date;
  identities: Identities;
  name?: string;
  /**
   * Ordering guard for out-of-order senders (Stripe): the objects this event describes and the sender's
   * creation time in seconds. An event older than any of its objects' watermarks is stale and changes nothing.
   */
  watermark?: { keys: string[]; created: number };
  /**
   * Stripe subscription events: the subscription this event reports and its status then. Kept per subscription
   * (a status moves forward only, by the event's creation second), so that one of a customer's several subscriptions ending does not churn a
   * customer another one still pays for.
   */
  subscription?: { id: string; status: string };
  /**
   * Stripe invoice events: the invoice and what this event says of its payment — `failed` (invoice.payment_failed),
   * `paid` (invoice.paid, invoice.payment_succeeded: whatever the amount) or `closed` (voided, marked uncollectible).
   * Kept per invoice (the `invoices` table, migration 0019) for the payment_not_recovered alert.
   */
  invoice?: { id: string; customer: string | null; payment: 'failed' | 'paid' | 'closed'; amountDue: number | null; currency: string | null };
  /** Small, display-safe facts for effects and the timeline (amounts, plan, subscription id, retry date). */
  facts: Record<string, string | number | boolean | null>;
}

export function normaliseEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const e = raw.trim().toLowerCase();
  return e.includes('@') ? e : undefined;
}

/** One field problem in a BadRequestError's `details`: dotted path ("customer.email") and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/** Zod issues (or anything shaped like them) → FieldError[]; the empty path is reported as "(body)". */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}
