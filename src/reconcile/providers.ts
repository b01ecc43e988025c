import { sleep } from '../clock.js';
import type { AppConfig, RateLimit } from '../config/index.js';
import { createHubspotReader } from '../connectors/hubspot/read.js';
import { createZendeskReader } from '../connectors/zendesk/read.js';
import { ProviderError } from '../errors.js';
import { stripeClient, subscriptionsOfCustomer } from '../stripe-api/index.js';
import type { DriftProvider, HubspotContactView, StripeSubscription, ZendeskTicketView } from './types.js';

/** How reconcile reads each provider; a provider that is absent is not configured (not compared). */
export interface ProviderReaders {
  stripe?: { subscriptionsOf(stripeCustomerId: string): Promise<StripeSubscription[]> };
  hubspot?: { contactByEmail(email: string): Promise<HubspotContactView | null> };
  zendesk?: { ticketsByIds(ids: readonly string[]): Promise<ZendeskTicketView[]> };
}

/** Rate-limit answers waited out per call before the provider counts as unreadable for this run. */
const RETRIES_429 = 3;
/** HubSpot sends no Retry-After: wait this long (its window is 10 s) unless the provider says otherwise. */
const DEFAULT_429_WAIT_MS = 2_000;
const MAX_429_WAIT_MS = 30_000;

/**
 * The readers for the configured providers. Reads are sequential and paced at HALF the connector's rate
 * limit (HUBSPOT_RATE_LIMIT, ZENDESK_RATE_LIMIT), so a reconcile never starves the dispatcher, which
 * shares the provider's budget. A 429 is waited out (Retry-After, else 2 s) up to 3 times; Stripe's client
 * (src/stripe-api) does its own 429 handling. Any other failure is thrown: the run marks the provider
 * unreadable and stops asking it.
 */
export function providerReaders(config: AppConfig): ProviderReaders {
  const out: ProviderReaders = {};
  if (config.stripe.api) {
    const client = stripeClient(config.stripe.api, { timeoutMs: config.http.timeoutMs });
    out.stripe = { subscriptionsOf: async (id) => (await subscriptionsOfCustomer(client, id)) as unknown as StripeSubscription[] };
  }
  if (config.hubspot) {
    const reader = createHubspotReader(config.hubspot, config.http);
    const pace = pacer(config.rateLimits.hubspot);
    out.hubspot = { contactByEmail: (email) => pace(() => reader.contactByEmail(email)) };
  }
  if (config.zendesk) {
    const reader = createZendeskReader(config.zendesk, config.http);
    const pace = pacer(config.rateLimits.zendesk);
    out.zendesk = { ticketsByIds: (ids) => pace(() => reader.ticketsByIds(ids)) };
  }
  return out;
}

/** Calls one after another, at most half the limit's rate, each retried after a 429. */
function pacer(limit: RateLimit): <T>(fn: () => Promise<T>) => Promise<T> {
  const gapMs = (2 * limit.intervalMs) / limit.tokens;
  let next = 0;
  return async (fn) => {
    for (let attempt = 0; ; attempt++) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      next = Date.now() + gapMs;
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ProviderError) || err.httpStatus !== 429 || attempt >= RETRIES_429) throw err;
        next = Date.now() + Math.min(err.retryAfterMs ?? DEFAULT_429_WAIT_MS, MAX_429_WAIT_MS);
      }
    }
  };
}

/** A failure's message for the report: never a credential (providerFetch and StripeApiError redact them). */
export function describeFailure(provider: DriftProvider, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const fix = (err as { fix?: unknown }).fix;
  return `${provider}: ${msg.slice(0, 300)}${typeof fix === 'string' ? ` (${fix})` : ''}`;
}
