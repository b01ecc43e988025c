/**
 * Stripe API objects for the Stripe emulator, built from Stripe's own sample objects (the shared fixtures'
 * objects.json, via test/support/stripe-fixtures.ts): every field the API returns is there, only ids,
 * statuses, links and timestamps are set here. The fixtures' sample timestamps are placeholders
 * (1234567890, periods in 2030), so every timestamp a reader might use is set consistently.
 */
import type { StripeObject } from '../emulators/index.js';
import { stripeObject } from '../support/stripe-fixtures.js';

const DAY = 86_400;

export interface CustomerSpec {
  id: string;
  email?: string | null;
  name?: string | null;
  created: number;
}

export function stripeCustomer(spec: CustomerSpec): StripeObject {
  const c = stripeObject('customer');
  Object.assign(c, { id: spec.id, email: spec.email ?? null, name: spec.name ?? null, created: spec.created, discount: null });
  return c as StripeObject;
}

export interface SubscriptionSpec {
  id: string;
  customer: string;
  status: 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';
  created: number;
  /** Start of the current billing period (default: created, or trial_end after a trial). */
  periodStart?: number;
  /** For trialing (and subscriptions that had a trial): trial_start = created, trial_end = this. */
  trialEnd?: number;
  /** For canceled: canceled_at = ended_at = this. */
  endedAt?: number;
  price?: string;
}

export function stripeSubscription(spec: SubscriptionSpec): StripeObject {
  const s = stripeObject('subscription');
  const periodStart = spec.periodStart ?? (spec.trialEnd !== undefined && spec.status !== 'trialing' ? spec.trialEnd : spec.created);
  const ended = spec.status === 'canceled' || spec.status === 'incomplete_expired' ? (spec.endedAt ?? periodStart + 30 * DAY) : null;
  Object.assign(s, {
    id: spec.id,
    customer: spec.customer,
    status: spec.status,
    created: spec.created,
    start_date: spec.created,
    billing_cycle_anchor: periodStart,
    trial_start: spec.trialEnd !== undefined ? spec.created : null,
    trial_end: spec.trialEnd ?? null,
    cancel_at: null,
    canceled_at: ended,
    ended_at: ended,
    cancel_at_period_end: false,
    next_pending_invoice_item_invoice: null,
    pause_collection: null,
    latest_invoice: null,
  });
  const items = s.items as { data: Array<Record<string, unknown>>; url: string };
  const item = items.data[0]!;
  const price = item.price as Record<string, unknown>;
  Object.assign(item, { subscription: spec.id, created: spec.created, current_period_start: periodStart, current_period_end: periodStart + 30 * DAY });
  if (spec.price) price.id = spec.price;
  items.url = `/v1/subscription_items?subscription=${spec.id}`;
  return s as StripeObject;
}

export interface InvoiceSpec {
  id: string;
  customer: string;
  subscription?: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  created: number;
  amount?: number;
  /** For paid: when (default created + 60 s). */
  paidAt?: number;
  /** Failed collection attempts so far (open invoices). */
  attempts?: number;
  customerEmail?: string | null;
  /** 'basil' (default): subscription under parent.subscription_details; 'legacy': top-level `subscription`. */
  shape?: 'basil' | 'legacy';
}

export function stripeInvoice(spec: InvoiceSpec): StripeObject {
  const inv = stripeObject('invoice');
  const amount = spec.amount ?? 2000;
  const paid = spec.status === 'paid';
  const paidAt = paid ? (spec.paidAt ?? spec.created + 60) : null;
  const finalizedAt = spec.status === 'draft' ? null : spec.created + 30;
  const sub = spec.subscription ?? null;
  Object.assign(inv, {
    id: spec.id,
    customer: spec.customer,
    customer_email: spec.customerEmail ?? null,
    status: spec.status,
    created: spec.created,
    effective_at: finalizedAt,
    due_date: null,
    amount_due: amount,
    amount_paid: paid ? amount : 0,
    amount_remaining: paid ? 0 : amount,
    attempt_count: spec.attempts ?? (paid ? 1 : 0),
    attempted: paid || (spec.attempts ?? 0) > 0,
    billing_reason: sub ? 'subscription_cycle' : 'manual',
    next_payment_attempt: spec.status === 'open' ? spec.created + 3 * DAY : null,
    period_start: spec.created,
    period_end: spec.created,
    last_finalization_error: null,
    from_invoice: null,
    status_transitions: { finalized_at: finalizedAt, marked_uncollectible_at: null, paid_at: paidAt, voided_at: null },
  });
  if (spec.shape === 'legacy') {
    inv.subscription = sub;
    inv.parent = null;
  } else {
    delete inv.subscription;
    inv.parent = sub ? { quote_details: null, subscription_details: { metadata: {}, subscription: sub }, type: 'subscription_details' } : null;
  }
  return inv as StripeObject;
}

export interface Account {
  customers: StripeObject[];
  subscriptions: StripeObject[];
  invoices: StripeObject[];
}

/**
 * `n` customers (cus_bf_000…), each with one subscription cycling through trialing, active, past_due,
 * canceled, and a paid invoice for every non-trialing one; customer i is created `i` hours after `start`.
 */
export function stripeAccount(n: number, start = 1_767_225_600): Account {
  const statuses = ['trialing', 'active', 'past_due', 'canceled'] as const;
  const out: Account = { customers: [], subscriptions: [], invoices: [] };
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(3, '0');
    const created = start + i * 3600;
    const status = statuses[i % statuses.length]!;
    const email = `customer${id}@example.com`;
    out.customers.push(stripeCustomer({ id: `cus_bf_${id}`, email, name: `Customer ${id}`, created }));
    out.subscriptions.push(
      stripeSubscription({
        id: `sub_bf_${id}`,
        customer: `cus_bf_${id}`,
        status,
        created: created + 60,
        ...(status === 'trialing' ? { trialEnd: created + 14 * DAY } : {}),
        ...(status === 'past_due' ? { periodStart: created + 30 * DAY } : {}),
        ...(status === 'canceled' ? { endedAt: created + 40 * DAY } : {}),
      }),
    );
    if (status !== 'trialing') {
      out.invoices.push(stripeInvoice({ id: `in_bf_${id}`, customer: `cus_bf_${id}`, subscription: `sub_bf_${id}`, status: 'paid', created: created + 60, customerEmail: email }));
    }
  }
  return out;
}
