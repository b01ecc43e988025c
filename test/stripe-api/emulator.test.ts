import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  listCustomers,
  listInvoices,
  listSubscriptions,
  retrieveSubscription,
  StripeApiError,
  stripeClient,
  subscriptionsOfCustomer,
  type StripeClient,
} from '../../src/stripe-api/index.js';
import { startStripeEmulator, STRIPE_RESTRICTED_TEST_KEY, STRIPE_TEST_KEY, type StripeEmulator } from '../emulators/index.js';
import { stripeAccount, stripeInvoice, stripeSubscription } from './objects.js';

/** The Stripe API client (official package) against the Stripe emulator: lists, pagination, retries, errors. */
let emu: StripeEmulator;
let client: StripeClient;
const account = stripeAccount(25);

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);
const listCalls = (path: string) => emu.requests.filter((r) => r.path.startsWith(path));

beforeAll(async () => {
  emu = await startStripeEmulator(account);
  client = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { rateLimitDelayMs: 5, timeoutMs: 5000 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.requests.length = 0;
});

describe('Stripe emulator through the official stripe package', () => {
  it('pages a list with limit / starting_after, newest first, and resumes after a stored cursor', async () => {
    const got = await all(listCustomers(client, { pageSize: 10 }));
    const expected = [...account.customers].sort((a, b) => b.created - a.created).map((c) => c.id);
    expect(ids(got)).toEqual(expected);
    const calls = listCalls('/v1/customers');
    expect(calls).toHaveLength(3);
    expect(calls[0]!.path).not.toContain('starting_after');
    expect(calls[1]!.path).toContain(`starting_after=${expected[9]}`);
    expect(calls[2]!.path).toContain(`starting_after=${expected[19]}`);

    const resumed = await all(listCustomers(client, { pageSize: 10, startingAfter: expected[14] }));
    expect(ids(resumed)).toEqual(expected.slice(15));
  });

  it('answers Stripe\'s list shape and validates limit', async () => {
    const res = await fetch(`${emu.url}/v1/customers?limit=2`, { headers: { authorization: `Bearer ${STRIPE_TEST_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const body = (await res.json()) as { object: string; data: unknown[]; has_more: boolean; url: string };
    expect(body).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(body.data).toHaveLength(2);

    const bad = await fetch(`${emu.url}/v1/customers?limit=101`, { headers: { authorization: `Bearer ${STRIPE_TEST_KEY}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'limit' } });
  });

  it('filters subscriptions by status (all by default in the client), customer and created[gte], and expands the customer', async () => {
    const everything = await all(listSubscriptions(client));
    expect(everything).toHaveLength(25);
    expect(everything.some((s) => s.status === 'canceled')).toBe(true);

    const raw = await fetch(`${emu.url}/v1/subscriptions?limit=100`, { headers: { authorization: `Bearer ${STRIPE_TEST_KEY}` } });
    const stripeDefault = (await raw.json()) as { data: Array<{ status: string }> };
    expect(stripeDefault.data.length).toBeGreaterThan(0);
    expect(stripeDefault.data.every((s) => s.status !== 'canceled')).toBe(true); // Stripe's own default

    const pastDue = await all(listSubscriptions(client, { status: 'past_due' }));
    expect(pastDue.map((s) => s.status)).toEqual(pastDue.map(() => 'past_due'));
    expect(pastDue.length).toBe(6);

    const mine = await subscriptionsOfCustomer(client, 'cus_bf_003');
    expect(ids(mine)).toEqual(['sub_bf_003']);

    const since = account.subscriptions[20]!.created;
    const recent = await all(listSubscriptions(client, { createdGte: since }));
    expect(ids(recent).sort()).toEqual(['sub_bf_020', 'sub_bf_021', 'sub_bf_022', 'sub_bf_023', 'sub_bf_024']);
    expect(decodeURIComponent(listCalls('/v1/subscriptions').at(-1)!.path)).toContain(`created[gte]=${since}`);

    const expanded = await all(listSubscriptions(client, { customer: 'cus_bf_001', expandCustomer: true }));
    expect(expanded[0]!.customer).toMatchObject({ id: 'cus_bf_001', object: 'customer', email: 'customer001@example.com' });

    const one = await retrieveSubscription(client, 'sub_bf_002');
    expect(one.status).toBe('past_due');
  });

  it('filters invoices by subscription in both API shapes, by customer and status', async () => {
    emu.upsertInvoice(stripeInvoice({ id: 'in_legacy', customer: 'cus_bf_001', subscription: 'sub_bf_001', status: 'open', attempts: 1, created: 1_767_300_000, shape: 'legacy' }));
    try {
      const bySub = await all(listInvoices(client, { subscription: 'sub_bf_001' }));
      expect(ids(bySub).sort()).toEqual(['in_bf_001', 'in_legacy']);
      const open = await all(listInvoices(client, { customer: 'cus_bf_001', status: 'open' }));
      expect(ids(open)).toEqual(['in_legacy']);
    } finally {
      emu.invoices.delete('in_legacy');
    }
  });

  it('what Stripe says now can be changed by a test', async () => {
    emu.setSubscriptionStatus('sub_bf_001', 'past_due');
    try {
      expect((await retrieveSubscription(client, 'sub_bf_001')).status).toBe('past_due');
      emu.upsertSubscription(stripeSubscription({ id: 'sub_new', customer: 'cus_bf_001', status: 'active', created: 1_767_400_000 }));
      expect(ids(await subscriptionsOfCustomer(client, 'cus_bf_001'))).toEqual(['sub_new', 'sub_bf_001']);
    } finally {
      emu.setSubscriptionStatus('sub_bf_001', 'active');
      emu.subscriptions.delete('sub_new');
    }
  });

  it('retries rate-limit 429s (which stripe-node itself never retries), even in the middle of a list, without skipping or repeating', async () => {
    const waits: number[] = [];
    const c = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { rateLimitDelayMs: 5, onRateLimited: (ms) => waits.push(ms) });
    emu.rateLimit(2, 'starting_after'); // the second and third page requests
    const got = await all(listCustomers(c, { pageSize: 10 }));
    expect(ids(got)).toEqual([...account.customers].sort((a, b) => b.created - a.created).map((x) => x.id));
    const limited = emu.requests.filter((r) => r.fault === '429');
    expect(limited).toHaveLength(2);
    expect(waits).toHaveLength(2);
    expect(new Set(ids(got)).size).toBe(25);
  });

  it('honours Retry-After on a 429', async () => {
    const waits: number[] = [];
    const c = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { rateLimitDelayMs: 5, onRateLimited: (ms) => waits.push(ms) });
    emu.faults.push({ status: 429, retryAfter: 1 });
    expect(await subscriptionsOfCustomer(c, 'cus_bf_000')).toHaveLength(1);
    expect(waits).toEqual([1000]);
  });

  it('gives up after its rate-limit retries with a clear StripeApiError', async () => {
    const c = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { rateLimitDelayMs: 1, rateLimitRetries: 2 });
    emu.faults.failFor(60_000, { status: 429 });
    const err = await all(listCustomers(c)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeApiError);
    expect(err).toMatchObject({ reason: 'rate_limit', httpStatus: 429 });
    expect(emu.requests.filter((r) => r.fault === '429')).toHaveLength(3);
  });

  it('lets stripe-node retry 5xx and 429 lock timeouts (Stripe-Should-Retry: true)', async () => {
    emu.faults.push({ status: 500 });
    emu.lockTimeout(1);
    const got = await subscriptionsOfCustomer(client, 'cus_bf_002');
    expect(ids(got)).toEqual(['sub_bf_002']);
    expect(emu.requests.map((r) => r.fault ?? 'ok')).toEqual(['500', '429', 'ok']);
  });

  it('a 5xx that outlasts the retries is an api StripeApiError', async () => {
    const c = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { maxNetworkRetries: 0 });
    emu.faults.push({ status: 503 });
    await expect(subscriptionsOfCustomer(c, 'cus_bf_002')).rejects.toMatchObject({ reason: 'api', httpStatus: 503 });
  });

  it('a wrong key is a 401 in Stripe\'s shape and an auth StripeApiError that never shows the key', async () => {
    const raw = await fetch(`${emu.url}/v1/customers`, { headers: { authorization: 'Bearer sk_test_wrongwrongwrongwrong1234' } });
    expect(raw.status).toBe(401);
    const body = (await raw.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).not.toContain('wrongwrongwrong');
    const none = await fetch(`${emu.url}/v1/customers`);
    expect(none.status).toBe(401);

    const bad = stripeClient({ secretKey: 'sk_test_wrongwrongwrongwrong1234', baseUrl: emu.url });
    const err = (await all(listCustomers(bad)).catch((e: unknown) => e)) as StripeApiError;
    expect(err).toBeInstanceOf(StripeApiError);
    expect(err.reason).toBe('auth');
    expect(err.httpStatus).toBe(401);
    expect(err.message).toContain('STRIPE_SECRET_KEY');
    expect(`${err.message} ${err.fix}`).not.toContain('wrongwrong');
  });

  it('accepts a restricted key', async () => {
    const rk = stripeClient({ secretKey: STRIPE_RESTRICTED_TEST_KEY, baseUrl: emu.url });
    expect(await subscriptionsOfCustomer(rk, 'cus_bf_000')).toHaveLength(1);
  });

  it('a cursor whose object no longer exists is an invalid_request naming starting_after', async () => {
    await expect(all(listCustomers(client, { startingAfter: 'cus_gone' }))).rejects.toMatchObject({ reason: 'invalid_request', param: 'starting_after', stripeCode: 'resource_missing' });
  });

  it('a request slower than the timeout is a network StripeApiError', async () => {
    const c = stripeClient({ secretKey: STRIPE_TEST_KEY, baseUrl: emu.url }, { timeoutMs: 200, maxNetworkRetries: 0 });
    emu.faults.push({ kind: 'delay', ms: 1500 });
    await expect(subscriptionsOfCustomer(c, 'cus_bf_000')).rejects.toMatchObject({ reason: 'network' });
  });
});
