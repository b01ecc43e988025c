import Stripe from 'stripe';
import { SignatureError } from '../errors.js';

/** Stripe's own default; a signed timestamp older or newer than this is rejected as a replay. */
export const STRIPE_TOLERANCE_SECONDS = 300;

/**
 * Verifies `Stripe-Signature` on the RAW body with the official `stripe` package and returns the parsed event.
 * Several secrets may be active during rotation: the first that verifies wins.
 * Throws SignatureError (→ 400) for a missing, malformed, stale or wrong signature; nothing is written.
 */
export function verifyStripe(rawBody: string, header: string | undefined, secrets: readonly string[], nowMs: number): unknown {
  if (secrets.length === 0) throw new SignatureError('Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET');
  if (!header) throw new SignatureError('missing Stripe-Signature header');
  let last: unknown;
  for (const secret of secrets) {
    try {
      return Stripe.webhooks.constructEvent(rawBody, header, secret, STRIPE_TOLERANCE_SECONDS, undefined, nowMs);
    } catch (err) {
      last = err;
    }
  }
  // The library's message distinguishes stale timestamps from bad signatures; it never includes the secret.
  const msg = last instanceof Error && /timestamp/i.test(last.message) ? 'Stripe-Signature timestamp outside the tolerance zone' : 'Stripe-Signature does not match the body';
  throw new SignatureError(msg, last);
}
