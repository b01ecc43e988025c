/**
 * Stripe event (already signature-verified, parsed JSON) → DomainEvent. Pure.
 *
 * Invariants:
 * - Never throws for a well-formed event envelope, whatever the type, API version or object shape:
 *   unknown types and unexpected fields give `kind: null` with an `ignoredReason`. Only an envelope
 *   without id / type / created / data.object is a BadRequestError.
 * - Expandable references (`customer`, `subscription`) are read as an id string or an object with `id`.
 * - The invoice's subscription id lives at `parent.subscription_details.subscription` (2025-03-31.basil
 *   onward) or top-level `subscription` (older versions); both are read, the new place first.
 * - Only events that decide the lifecycle carry a watermark. An ignored event ($0 invoice, incomplete
 *   subscription) or an identity-only one (unpaid checkout) must never advance a watermark and make a real, slightly older
 *   event (e.g. the trialing subscription.created) look stale.
 * - `trial_will_end` uses a key no other event uses: a reminder never blocks or is blocked by lifecycle events.
 * - Facts are flat primitives; Stripe timestamps in facts are ISO-8601 strings (or null).
 */
import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { fieldErrors, normaliseEmail, type DomainEvent, type DomainEventKind, type Identities } from './types.js';

type Obj = Record<string, unknown>;
type Facts = DomainEvent['facts'];
interface Mapped {
  kind: DomainEventKind | null;
  ignoredReason?: string;
  identities: Identities;
  name?: string;
  /** Watermark keys; used only when kind ≠ null and the list is non-empty. */
  keys?: string[];
  facts?: Facts;
  subscription?: DomainEvent['subscription'];
}

const Envelope = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  // Seconds; bounded so `new Date(created * 1000)` is always a valid date.
  created: z.number().int().nonnegative().max(8_640_000_000_000),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export function fromStripe(event: unknown): DomainEvent {
  const parsed = Envelope.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError('not a Stripe event: id, type, created and data.object are required', fieldErrors(parsed.error.issues));
  }
  const { id, type, created, data } = parsed.data;
  const rule = RULES.get(type);
  const m: Mapped = rule ? rule(data.object, type) : { kind: null, ignoredReason: `no rule for stripe event type ${type}`, identities: looseIdentities(data.object) };

  const out: DomainEvent = {
    source: 'stripe',
    eventId: id,
    sourceType: type,
    kind: m.kind,
    occurredAt: new Date(created * 1000),
    identities: m.identities,
    facts: m.facts ?? {},
  };
  if (m.ignoredReason !== undefined) out.ignoredReason = m.ignoredReason;
  if (m.name !== undefined) out.name = m.name;
  if (m.subscription) out.subscription = m.subscription;
  const payment = INVOICE_PAYMENT.get(type);
  const invoiceId = payment && str(data.object.id);
  if (payment && invoiceId) {
    out.invoice = { id: invoiceId, customer: idOf(data.object.customer) ?? null, payment, amountDue: num(data.object.amount_due) ?? null, currency: str(data.object.currency) ?? null };
  }
  if (m.kind !== null && m.keys && m.keys.length > 0) out.watermark = { keys: m.keys, created };
  return out;
}

// ---- rules ---------------------------------------------------------------------------------------

function checkoutCompleted(o: Obj): Mapped {
  const details = obj(o.customer_details);
  const customer = idOf(o.customer);
  const subscription = idOf(o.subscription);
  const identities = compact({
    email: normaliseEmail(details?.email) ?? normaliseEmail(o.customer_email),
    stripe_customer: customer,
    app_user: str(o.client_reference_id),
  });
  const facts: Facts = {
    checkout_session_id: str(o.id) ?? null,
    mode: str(o.mode) ?? null,
    payment_status: str(o.payment_status) ?? null,
    subscription_id: subscription ?? null,
    amount_total: num(o.amount_total) ?? null,
    currency: str(o.currency) ?? null,
  };
  const base = { identities, name: str(details?.name), facts };
  // Only money received moves the lifecycle here. An unpaid / no_payment_required checkout (a card-less
  // trial, an async debit) still tells us who the customer is, often the ONLY Stripe event that carries
  // the email: it counts as a signup (a lead, or no change), and the subscription events decide the rest.
  // No watermark: it must never make the accompanying subscription.created look stale.
  if (o.payment_status !== 'paid') return { ...base, kind: 'user.signed_up' };
  return { ...base, kind: 'subscription.active', keys: keys(subscription && `stripe:sub:${subscription}`, customer && `stripe:cus:${customer}`) };
}

const SUBSCRIPTION_STATUS = new Map<string, DomainEventKind | null>([
  ['trialing', 'trial.started'],
  ['active', 'subscription.active'],
  ['past_due', 'subscription.past_due'],
  ['unpaid', 'subscription.past_due'],
  ['canceled', 'subscription.canceled'],
  ['incomplete_expired', 'subscription.canceled'],
  ['incomplete', null], // first payment not confirmed yet; becomes active or incomplete_expired
  ['paused', null], // trial ended without a payment method; no lifecycle move
]);

function subscriptionChanged(o: Obj, type: string): Mapped {
  const sub = str(o.id);
  const customer = idOf(o.customer);
  const status = str(o.status);
  // A deleted subscription is over whatever status it reports.
  const deleted = type === 'customer.subscription.deleted';
  const reported = deleted ? 'canceled' : status;
  const base = {
    identities: customerIdentities(o),
    facts: subscriptionFacts(o),
    keys: keys(sub && `stripe:sub:${sub}`, customer && `stripe:cus:${customer}`),
    ...(sub && reported !== undefined ? { subscription: { id: sub, status: reported } } : {}),
  };
  if (deleted) return { ...base, kind: 'subscription.canceled' };
  const kind = status === undefined ? undefined : SUBSCRIPTION_STATUS.get(status);
  if (kind) return { ...base, kind };
  // A status that is not a string is named by its type: String() of a deeply nested array overflows the stack.
  return { ...base, kind: null, ignoredReason: kind === null ? `subscription status ${status} changes no lifecycle state` : `unknown subscription status ${typeof o.status === 'string' || typeof o.status === 'number' ? o.status : `(${Array.isArray(o.status) ? 'array' : typeof o.status})`}` };
}

function trialWillEnd(o: Obj): Mapped {
  const sub = str(o.id);
  return {
    kind: 'trial.will_end',
    identities: customerIdentities(o),
    facts: { subscription_id: sub ?? null, status: str(o.status) ?? null, trial_end: iso(o.trial_end) },
    keys: keys(sub && `stripe:trial_will_end:${sub}`),
  };
}

function invoicePaid(o: Obj): Mapped {
  const m = invoiceBase(o);
  const paid = num(o.amount_paid) ?? 0;
  m.facts = { ...m.facts, amount_paid: paid };
  if (paid > 0) return { ...m, kind: 'payment.succeeded' };
  return { ...m, kind: null, ignoredReason: 'invoice paid but nothing was charged (amount_paid 0)' };
}

function invoiceFailed(o: Obj): Mapped {
  const m = invoiceBase(o);
  m.facts = {
    ...m.facts,
    amount_due: num(o.amount_due) ?? null,
    attempt_count: num(o.attempt_count) ?? null,
    next_payment_attempt: iso(o.next_payment_attempt), // null = Stripe will not retry
  };
  return { ...m, kind: 'payment.failed' };
}

function invoiceBase(o: Obj): Mapped & { facts: Facts } {
  const subscription = invoiceSubscriptionId(o);
  const customer = idOf(o.customer);
  return {
    kind: null,
    identities: compact({ stripe_customer: customer, email: normaliseEmail(o.customer_email) }),
    name: str(o.customer_name),
    keys: keys(subscription && `stripe:sub:${subscription}`, customer && `stripe:cus:${customer}`),
    facts: {
      invoice_id: str(o.id) ?? null,
      subscription_id: subscription ?? null,
      currency: str(o.currency) ?? null,
      billing_reason: str(o.billing_reason) ?? null,
      hosted_invoice_url: str(o.hosted_invoice_url) ?? null,
    },
  };
}

/** New API versions first (`parent.subscription_details.subscription`), then the pre-basil top-level field. */
export function invoiceSubscriptionId(invoice: Obj): string | undefined {
  const details = obj(obj(invoice.parent)?.subscription_details);
  return idOf(details?.subscription) ?? idOf(invoice.subscription);
}

function chargeRefunded(o: Obj): Mapped {
  // No watermark: a refund never moves the lifecycle, so it must neither be stale nor make others stale.
  return {
    kind: 'charge.refunded',
    identities: compact({
      stripe_customer: idOf(o.customer),
      email: normaliseEmail(obj(o.billing_details)?.email) ?? normaliseEmail(o.receipt_email),
    }),
    facts: {
      charge_id: str(o.id) ?? null,
      amount: num(o.amount) ?? null,
      amount_refunded: num(o.amount_refunded) ?? null,
      currency: str(o.currency) ?? null,
      refunded: o.refunded === true, // true only for a full refund
    },
  };
}

const RULES = new Map<string, (o: Obj, type: string) => Mapped>([
  ['checkout.session.completed', checkoutCompleted],
  ['customer.subscription.created', subscriptionChanged],
  ['customer.subscription.updated', subscriptionChanged],
  ['customer.subscription.deleted', subscriptionChanged],
  ['customer.subscription.trial_will_end', trialWillEnd],
  ['invoice.paid', invoicePaid],
  ['invoice.payment_succeeded', invoicePaid],
  ['invoice.payment_failed', invoiceFailed],
  ['charge.refunded', chargeRefunded],
]);

/** What an invoice event says of the invoice's payment (DomainEvent.invoice), whether or not a rule maps the type. */
const INVOICE_PAYMENT = new Map<string, 'failed' | 'paid' | 'closed'>([
  ['invoice.payment_failed', 'failed'],
  ['invoice.paid', 'paid'],
  ['invoice.payment_succeeded', 'paid'],
  ['invoice.voided', 'closed'],
  ['invoice.marked_uncollectible', 'closed'],
]);

// ---- readers (total: never throw, return undefined for anything unexpected) -----------------------

function subscriptionFacts(o: Obj): Facts {
  const item = obj(arr(obj(o.items)?.data)?.[0]);
  return {
    subscription_id: str(o.id) ?? null,
    status: str(o.status) ?? null,
    plan: str(obj(item?.price)?.id) ?? str(obj(o.plan)?.id) ?? null,
    trial_end: iso(o.trial_end),
    cancel_at_period_end: o.cancel_at_period_end === true,
  };
}

/** Customer id, plus the email when `customer` was expanded. */
function customerIdentities(o: Obj): Identities {
  const c = obj(o.customer);
  return compact({ stripe_customer: idOf(o.customer), email: normaliseEmail(c?.email) });
}

/** Best-effort identities for types without a rule; harmless when nothing is found. */
function looseIdentities(o: Obj): Identities {
  if (o.object === 'customer') return compact({ stripe_customer: str(o.id), email: normaliseEmail(o.email) });
  return compact({
    stripe_customer: idOf(o.customer),
    email:
      normaliseEmail(o.customer_email) ??
      normaliseEmail(o.receipt_email) ??
      normaliseEmail(obj(o.billing_details)?.email) ??
      normaliseEmail(obj(o.customer_details)?.email),
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}
/** An expandable reference: the id string, or the expanded object's id. */
function idOf(v: unknown): string | undefined {
  return str(v) ?? str(obj(v)?.id);
}
/** Unix seconds → ISO-8601, or null when absent or out of range. */
function iso(v: unknown): string | null {
  const s = num(v);
  if (s === undefined) return null;
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
function keys(...ks: Array<string | undefined | false>): string[] {
  return ks.filter((k): k is string => typeof k === 'string');
}
function compact(ids: { [K in keyof Identities]: string | undefined }): Identities {
  const out: Identities = {};
  for (const [k, v] of Object.entries(ids) as Array<[keyof Identities, string | undefined]>) if (v !== undefined) out[k] = v;
  return out;
}
