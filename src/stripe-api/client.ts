import Stripe from 'stripe';
import { sleep } from '../clock.js';
import { StripeApiError } from './errors.js';

/** `config.stripe.api`: present only when STRIPE_SECRET_KEY is set. */
export interface StripeApiConfig {
  secretKey: string;
  /** Default https://api.stripe.com (STRIPE_API_BASE_URL: an emulator, a proxy). */
  baseUrl: string;
}

export interface StripeClientOptions {
  /** Per request, ms (default 20 000). A timed-out request counts as a network error and is retried. */
  timeoutMs?: number;
  /**
   * stripe-node's own retries (default 3): connection errors, 409, 5xx, and 429 lock timeouts (those carry
   * `Stripe-Should-Retry: true`), with its exponential backoff (0.5 s doubling, at most 5 s). It never
   * retries a plain rate-limit 429, and it ignores Retry-After: `rateLimitRetries` does that.
   */
  maxNetworkRetries?: number;
  /** Rate-limit 429s retried per request here (default 8), honouring Retry-After, else exponential backoff with jitter. */
  rateLimitRetries?: number;
  /** First backoff after a rate-limit 429, ms (default 1000, doubling, capped at 30 000). */
  rateLimitDelayMs?: number;
  /** Called before each rate-limit wait (progress output, metrics). */
  onRateLimited?: (waitMs: number, attempt: number) => void;
}

export interface StripeClient {
  /** The official client, configured for baseUrl; prefer the helpers below. */
  readonly stripe: Stripe;
  /** Runs one API call, retrying Stripe's rate-limit 429s; any other failure becomes a StripeApiError. */
  call<T>(fn: (stripe: Stripe) => Promise<T>): Promise<T>;
  /** Internal: the rate-limit policy, for the paging helpers. */
  readonly rateLimit: RateLimitPolicy;
}

export interface RateLimitPolicy {
  retries: number;
  delayMs: number;
  onRateLimited?: (waitMs: number, attempt: number) => void;
}

const MAX_RATE_LIMIT_WAIT_MS = 30_000;

/**
 * The Stripe API client Handoff reads billing truth with (backfill, reconcile): the official package, with
 * host, port and protocol taken from `baseUrl`, no telemetry header, a request timeout and retries.
 * Read-only by design: a restricted key (`rk_…`) with read access to customers, subscriptions and invoices
 * is enough. The key is never logged or put in an error message.
 */
export function stripeClient(config: StripeApiConfig, opts: StripeClientOptions = {}): StripeClient {
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw new StripeApiError('config', `STRIPE_API_BASE_URL is not a URL: ${JSON.stringify(config.baseUrl.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StripeApiError('config', 'STRIPE_API_BASE_URL must start with https:// (or http:// for a local emulator)');
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const stripe = new Stripe(config.secretKey, {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    timeout: opts.timeoutMs ?? 20_000,
    maxNetworkRetries: opts.maxNetworkRetries ?? 3,
    telemetry: false,
    appInfo: { name: 'Handoff' },
  });
  const rateLimit: RateLimitPolicy = { retries: opts.rateLimitRetries ?? 8, delayMs: opts.rateLimitDelayMs ?? 1000, onRateLimited: opts.onRateLimited };
  return {
    stripe,
    rateLimit,
    call: (fn) => withRateLimitRetry(rateLimit, () => fn(stripe)),
  };
}

/** Runs `fn`, waiting and trying again after each rate-limit 429 up to `policy.retries` times. */
export async function withRateLimitRetry<T>(policy: RateLimitPolicy, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const wait = rateLimitWait(err, attempt, policy);
      if (wait === undefined) throw StripeApiError.from(err);
      policy.onRateLimited?.(wait, attempt + 1);
      await sleep(wait);
    }
  }
}

/** Ms to wait before trying again after `err`, or undefined when it is not a retryable rate limit (or retries are spent). */
export function rateLimitWait(err: unknown, attempt: number, policy: RateLimitPolicy): number | undefined {
  if (!(err instanceof Stripe.errors.StripeRateLimitError) || attempt >= policy.retries) return undefined;
  const header = (err.headers as Record<string, string | undefined> | undefined)?.['retry-after'];
  const seconds = header === undefined ? NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RATE_LIMIT_WAIT_MS);
  const base = Math.min(policy.delayMs * 2 ** attempt, MAX_RATE_LIMIT_WAIT_MS);
  return Math.round(base / 2 + (Math.random() * base) / 2); // jitter: many clients never retry in lockstep
}
