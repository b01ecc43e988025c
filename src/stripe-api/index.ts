/**
 * Reading Stripe's API (backfill, reconcile): the official `stripe` package pointed at STRIPE_API_BASE_URL,
 * with timeouts, retries (stripe-node's for 5xx/409/connection errors, ours for rate-limit 429s) and
 * resumable auto-paginated lists. The only door to src/stripe-api.
 */
export { stripeClient, withRateLimitRetry, type StripeApiConfig, type StripeClient, type StripeClientOptions } from './client.js';
export { StripeApiError, type StripeFailure } from './errors.js';
export {
  listCustomers,
  listInvoices,
  listSubscriptions,
  retrieveCustomer,
  retrieveSubscription,
  subscriptionsOfCustomer,
  type InvoiceListOptions,
  type ListOptions,
  type SubscriptionListOptions,
} from './read.js';
