import Stripe from 'stripe';
import { HandoffError } from '../errors.js';

/**
 * Why a Stripe API read failed, in words an operator can act on:
 * - `auth`: 401, the key is wrong, revoked or expired → fix STRIPE_SECRET_KEY;
 * - `permission`: 403, a restricted key without read access to the resource;
 * - `rate_limit`: 429s outlasted every retry; `api`: Stripe's 5xx outlasted stripe-node's retries;
 * - `network`: no answer (DNS, refused, timeout) → check STRIPE_API_BASE_URL / the network;
 * - `invalid_request`: 400/404 (e.g. a resume cursor whose object was deleted: `param` says which);
 * - `config`: STRIPE_API_BASE_URL itself is unusable.
 * Messages never carry the key (Stripe's own 401 message masks it; we drop it anyway).
 */
export type StripeFailure = 'auth' | 'permission' | 'rate_limit' | 'api' | 'network' | 'invalid_request' | 'config';

export class StripeApiError extends HandoffError {
  readonly reason: StripeFailure;
  readonly httpStatus?: number;
  /** Stripe's error code (resource_missing, rate_limit, …) when it sent one. */
  readonly stripeCode?: string;
  /** The request parameter Stripe blamed (starting_after, limit, …). */
  readonly param?: string;
  readonly requestId?: string;
  /** What to do about it. */
  readonly fix?: string;

  constructor(
    reason: StripeFailure,
    message: string,
    opts: { httpStatus?: number; stripeCode?: string; param?: string; requestId?: string; fix?: string; cause?: unknown } = {},
  ) {
    super('provider_error', 502, message, { cause: opts.cause });
    this.reason = reason;
    this.httpStatus = opts.httpStatus;
    this.stripeCode = opts.stripeCode;
    this.param = opts.param;
    this.requestId = opts.requestId;
    this.fix = opts.fix;
  }

  static from(err: unknown): StripeApiError {
    if (err instanceof StripeApiError) return err;
    if (!(err instanceof Stripe.errors.StripeError)) {
      return new StripeApiError('network', `Stripe API call failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const base = { httpStatus: err.statusCode, stripeCode: err.code, param: err.param, requestId: err.requestId, cause: err };
    if (err instanceof Stripe.errors.StripeAuthenticationError) {
      return new StripeApiError('auth', `Stripe refused STRIPE_SECRET_KEY (HTTP ${err.statusCode ?? 401}${err.code ? `, ${err.code}` : ''})`, {
        ...base,
        fix: 'set STRIPE_SECRET_KEY to a live secret key (sk_…) or a restricted key (rk_…) of this Stripe account; check that it is not revoked and matches the mode (test/live) you mean',
      });
    }
    if (err instanceof Stripe.errors.StripePermissionError) {
      return new StripeApiError('permission', `STRIPE_SECRET_KEY may not read this resource (HTTP 403): ${safe(err.message)}`, {
        ...base,
        fix: 'give the restricted key Read access to Customers, Subscriptions and Invoices in the Stripe dashboard (Developers → API keys)',
      });
    }
    if (err instanceof Stripe.errors.StripeRateLimitError) {
      return new StripeApiError('rate_limit', 'Stripe kept answering 429 (rate limit) after every retry', { ...base, fix: 'run again later (a backfill resumes where it stopped), or lower the concurrency' });
    }
    if (err instanceof Stripe.errors.StripeConnectionError) {
      return new StripeApiError('network', `no answer from the Stripe API (${safe(err.message)})`, { ...base, fix: 'check STRIPE_API_BASE_URL and the network; the run resumes where it stopped' });
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError) {
      return new StripeApiError('invalid_request', `Stripe refused the request (HTTP ${err.statusCode ?? 400}): ${safe(err.message)}`, base);
    }
    return new StripeApiError('api', `the Stripe API failed (HTTP ${err.statusCode ?? '?'}): ${safe(err.message)}${err.requestId ? ` (request ${err.requestId})` : ''}`, {
      ...base,
      fix: 'Stripe is having trouble; run again later (a backfill resumes where it stopped)',
    });
  }
}

/** Stripe's messages are short and never echo a full key, but cap them and strip anything key-shaped anyway. */
function safe(message: string): string {
  return message.replace(/\b(sk|rk)_(test|live)_[A-Za-z0-9*]+/g, '$1_$2_****').slice(0, 300);
}
