import type Stripe from 'stripe';
import { sleep } from '../clock.js';
import { rateLimitWait, type StripeClient } from './client.js';
import { StripeApiError } from './errors.js';

/**
 * The billing truth as Stripe tells it now, read with the package's auto-pagination (its async iterator
 * follows `has_more` with `starting_after` = the last id). Every list is newest `created` first.
 *
 * Resuming: pass the id of the last object you finished as `startingAfter`; the list continues right
 * after it. A rate-limit 429 mid-list restarts the iterator after the last object yielded, so no object
 * is skipped or yielded twice. Failures are StripeApiErrors.
 */
export interface ListOptions {
  /** Continue after this object id (a stored cursor). */
  startingAfter?: string;
  /** Objects per request, 1–100 (default 100: fewest calls against the rate limit). */
  pageSize?: number;
  /** Only objects created at or after this time (unix seconds): `created[gte]`. */
  createdGte?: number;
}

export interface SubscriptionListOptions extends ListOptions {
  customer?: string;
  /** Default 'all' (Stripe's own default leaves canceled subscriptions out). */
  status?: Stripe.SubscriptionListParams.Status;
  /** Expand `customer` into the customer object (its email, name) in the same call. */
  expandCustomer?: boolean;
}

export interface InvoiceListOptions extends ListOptions {
  customer?: string;
  subscription?: string;
  status?: Stripe.InvoiceListParams.Status;
}

export function listCustomers(client: StripeClient, opts: ListOptions = {}): AsyncGenerator<Stripe.Customer> {
  return resumable(client, opts.startingAfter, (after) => client.stripe.customers.list({ ...common(opts, after) }));
}

export function listSubscriptions(client: StripeClient, opts: SubscriptionListOptions = {}): AsyncGenerator<Stripe.Subscription> {
  return resumable(client, opts.startingAfter, (after) =>
    client.stripe.subscriptions.list({
      ...common(opts, after),
      status: opts.status ?? 'all',
      ...(opts.customer ? { customer: opts.customer } : {}),
      ...(opts.expandCustomer ? { expand: ['data.customer'] } : {}),
    }),
  );
}

export function listInvoices(client: StripeClient, opts: InvoiceListOptions = {}): AsyncGenerator<Stripe.Invoice> {
  return resumable(client, opts.startingAfter, (after) =>
    client.stripe.invoices.list({
      ...common(opts, after),
      ...(opts.customer ? { customer: opts.customer } : {}),
      ...(opts.subscription ? { subscription: opts.subscription } : {}),
      ...(opts.status ? { status: opts.status } : {}),
    }),
  );
}

/** Every subscription of one customer, whatever its status, newest first. */
export async function subscriptionsOfCustomer(client: StripeClient, customerId: string): Promise<Stripe.Subscription[]> {
  const out: Stripe.Subscription[] = [];
  for await (const s of listSubscriptions(client, { customer: customerId })) out.push(s);
  return out;
}

/** One customer (a deleted one comes back as `{ id, deleted: true }`); a missing id is a StripeApiError invalid_request. */
export function retrieveCustomer(client: StripeClient, id: string): Promise<Stripe.Customer | Stripe.DeletedCustomer> {
  return client.call((s) => s.customers.retrieve(id));
}

export function retrieveSubscription(client: StripeClient, id: string): Promise<Stripe.Subscription> {
  return client.call((s) => s.subscriptions.retrieve(id));
}

function common(opts: ListOptions, after: string | undefined) {
  return {
    limit: opts.pageSize ?? 100,
    ...(after ? { starting_after: after } : {}),
    ...(opts.createdGte !== undefined ? { created: { gte: opts.createdGte } } : {}),
  };
}

async function* resumable<T extends { id: string }>(client: StripeClient, startingAfter: string | undefined, open: (after: string | undefined) => AsyncIterable<T>): AsyncGenerator<T> {
  let cursor = startingAfter;
  let attempt = 0;
  for (;;) {
    try {
      for await (const item of open(cursor)) {
        cursor = item.id;
        attempt = 0;
        yield item;
      }
      return;
    } catch (err) {
      const wait = rateLimitWait(err, attempt, client.rateLimit);
      if (wait === undefined) throw StripeApiError.from(err);
      attempt++;
      client.rateLimit.onRateLimited?.(wait, attempt);
      await sleep(wait);
    }
  }
}
