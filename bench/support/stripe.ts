// Signed Stripe deliveries for benchmarks, signed with the official package exactly as Stripe does.
import { signStripe, STRIPE_SECRET } from '../../test/support/app.js';
import type { BenchRequest } from './load.js';

/** The webhook secret bench servers are started with (STRIPE_WEBHOOK_SECRET). */
export const STRIPE_BENCH_SECRET = STRIPE_SECRET;

/** A POST /api/webhooks/stripe of `event`, signed now (Stripe's tolerance is 5 minutes: sign shortly before sending). */
export function signedStripeRequest(event: unknown): BenchRequest {
  const body = JSON.stringify(event);
  return { path: '/api/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body) }, body };
}
