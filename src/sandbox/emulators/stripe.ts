import { randomBytes } from 'node:crypto';
import { startEmulatorServer, type EmulatorServer, type RecordedRequest, type Reply } from './server.js';

/**
 * Stripe API emulator (the read side backfill and reconcile use): a real HTTP server on 127.0.0.1.
 *
 * Routes (what the official `stripe` package calls):
 *   GET /v1/customers            filters email, created[gt|gte|lt|lte]
 *   GET /v1/customers/:id
 *   GET /v1/subscriptions        filters customer, status (default: every status but canceled and
 *                                incomplete_expired, like Stripe; `all`; `ended`), created[…]
 *   GET /v1/subscriptions/:id
 *   GET /v1/invoices             filters customer, subscription, status, created[…]
 * Lists are Stripe's shape ({object: "list", data, has_more, url}), newest `created` first (ties by id),
 * paged with `limit` (1–100, default 10) and `starting_after` / `ending_before` (an unknown id is a 400
 * resource_missing naming the parameter, as Stripe answers). `expand[]=data.customer` (lists) and
 * `expand[]=customer` (retrieve) replace the customer id with the customer object.
 * Every request needs `Authorization: Bearer <one of keys>` (401 in Stripe's error shape otherwise);
 * every answer carries a `request-id`.
 *
 * Faults: the shared FaultQueue (`faults.push({ status: 500 })`, `faults.failFor(ms, …)`, delay, reset).
 * A status fault without a body gets Stripe's body for it (429 → code rate_limit). `rateLimit(n)`
 * queues n rate-limit 429s: Stripe sends those WITHOUT `Stripe-Should-Retry`, so stripe-node does not
 * retry them (its maxNetworkRetries covers 409/5xx/connection errors and 429 lock timeouts, which carry
 * `Stripe-Should-Retry: true`: `lockTimeout(n)`).
 *
 * State is plain Maps of Stripe objects (JSON as the API returns them), keyed by id; tests build the
 * objects from the real fixtures (test/stripe-api/objects.ts) and change "what Stripe says now" with the
 * upsert/set helpers or by mutating the maps.
 */
export type StripeObject = Record<string, unknown> & { id: string; created: number };

export interface StripeEmulatorOptions {
  /** Accepted API keys (default [STRIPE_TEST_KEY, STRIPE_RESTRICTED_TEST_KEY]). */
  keys?: readonly string[];
  customers?: readonly StripeObject[];
  subscriptions?: readonly StripeObject[];
  invoices?: readonly StripeObject[];
}

export interface StripeEmulator extends EmulatorServer {
  keys: readonly string[];
  customers: Map<string, StripeObject>;
  subscriptions: Map<string, StripeObject>;
  invoices: Map<string, StripeObject>;
  /** Insert or replace (by id) a deep copy; returns the stored object. */
  upsertCustomer(o: StripeObject): StripeObject;
  upsertSubscription(o: StripeObject): StripeObject;
  upsertInvoice(o: StripeObject): StripeObject;
  /**
   * Stripe changed a subscription's status (what a dashboard action or a failed renewal does): sets
   * `status`, and for `canceled` also `canceled_at`/`ended_at` = `at` (unix seconds, default now).
   */
  setSubscriptionStatus(id: string, status: string, at?: number): StripeObject;
  /** The next `n` requests (optionally only those whose path contains `path`) get Stripe's rate-limit 429. */
  rateLimit(n: number, path?: string): void;
  /** The next `n` requests get a 429 lock_timeout with `Stripe-Should-Retry: true`. */
  lockTimeout(n: number, path?: string): void;
  /** GET requests to list/retrieve endpoints answered so far (faulted ones excluded): count calls from these. */
  apiCalls(): RecordedRequest[];
}

export const STRIPE_TEST_KEY = 'sk_test_51HandoffEmulatorKey0000000000000000';
export const STRIPE_RESTRICTED_TEST_KEY = 'rk_test_51HandoffEmulatorKey0000000000000000';

type Obj = Record<string, unknown>;
type Kind = 'customers' | 'subscriptions' | 'invoices';
const SINGULAR: Record<Kind, string> = { customers: 'customer', subscriptions: 'subscription', invoices: 'invoice' };
/** Stripe's default subscription list leaves these out; `status=ended` means exactly these. */
const ENDED = new Set(['canceled', 'incomplete_expired']);
const SUBSCRIPTION_STATUSES = new Set(['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'paused', 'all', 'ended']);
const INVOICE_STATUSES = new Set(['draft', 'open', 'paid', 'uncollectible', 'void']);
const RATE_LIMIT_MESSAGE = 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.';

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const keys = opts.keys ?? [STRIPE_TEST_KEY, STRIPE_RESTRICTED_TEST_KEY];
  const store: Record<Kind, Map<string, StripeObject>> = {
    customers: new Map((opts.customers ?? []).map((o) => [o.id, structuredClone(o)])),
    subscriptions: new Map((opts.subscriptions ?? []).map((o) => [o.id, structuredClone(o)])),
    invoices: new Map((opts.invoices ?? []).map((o) => [o.id, structuredClone(o)])),
  };

  function route(req: RecordedRequest): Reply {
    const auth = req.headers.authorization;
    if (!auth) return stripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').');
    const key = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
    if (!keys.includes(key)) return stripeError(401, 'invalid_request_error', `Invalid API Key provided: ${mask(key)}`, { code: 'api_key_invalid' });

    const url = new URL(req.path, 'http://emulator');
    const q = url.searchParams;
    if (req.method !== 'GET') return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}). This emulator serves reads only.`);
    const list = /^\/v1\/(customers|subscriptions|invoices)\/?$/.exec(url.pathname);
    if (list) return listed(list[1] as Kind, q);
    const one = /^\/v1\/(customers|subscriptions|invoices)\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const kind = one[1] as Kind;
      const id = decodeURIComponent(one[2]!);
      const o = store[kind].get(id);
      if (!o) return stripeError(404, 'invalid_request_error', `No such ${SINGULAR[kind]}: '${id}'`, { code: 'resource_missing', param: 'id' });
      return { status: 200, body: expandOne(o, expansions(q), '') };
    }
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (GET: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
  }

  function listed(kind: Kind, q: URLSearchParams): Reply {
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 10 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return stripeError(400, 'invalid_request_error', `Invalid integer: ${limitRaw}; limit must be between 1 and 100`, { param: 'limit' });
    }
    const filtered = filterFor(kind, q);
    if ('status' in filtered) return filtered;
    const all = [...store[kind].values()].filter(filtered.keep).sort(newestFirst);

    // A cursor is a position in the ordering, so it works even when its object is filtered out.
    let start = 0;
    let end = all.length;
    const after = q.get('starting_after');
    const before = q.get('ending_before');
    const missing = (id: string, param: string) => stripeError(400, 'invalid_request_error', `No such ${SINGULAR[kind]}: '${id}'`, { code: 'resource_missing', param });
    if (after !== null) {
      const c = store[kind].get(after);
      if (!c) return missing(after, 'starting_after');
      const i = all.findIndex((o) => newestFirst(o, c) > 0);
      start = i === -1 ? all.length : i;
    } else if (before !== null) {
      const c = store[kind].get(before);
      if (!c) return missing(before, 'ending_before');
      const i = all.findIndex((o) => newestFirst(o, c) >= 0);
      end = i === -1 ? all.length : i;
      start = Math.max(0, end - limit);
    }
    const page = all.slice(start, Math.min(end, start + limit));
    const hasMore = before !== null ? start > 0 : start + limit < end;
    const exp = expansions(q);
    return { status: 200, body: { object: 'list', data: page.map((o) => expandOne(o, exp, 'data.')), has_more: hasMore, url: `/v1/${kind}` } };
  }

  function filterFor(kind: Kind, q: URLSearchParams): { keep: (o: StripeObject) => boolean } | Reply {
    const created = createdRange(q);
    if ('status' in created) return created;
    const tests: Array<(o: StripeObject) => boolean> = [(o) => created.test(o.created)];
    const customer = q.get('customer');
    if (customer !== null && kind !== 'customers') tests.push((o) => idOf(o.customer) === customer);
    if (kind === 'customers') {
      const email = q.get('email');
      if (email !== null) tests.push((o) => o.email === email); // Stripe's email filter is case-sensitive
    }
    if (kind === 'subscriptions') {
      const status = q.get('status');
      if (status !== null && !SUBSCRIPTION_STATUSES.has(status)) return invalidEnum('status', status);
      if (status === null) tests.push((o) => !ENDED.has(String(o.status)));
      else if (status === 'ended') tests.push((o) => ENDED.has(String(o.status)));
      else if (status !== 'all') tests.push((o) => o.status === status);
    }
    if (kind === 'invoices') {
      const status = q.get('status');
      if (status !== null && !INVOICE_STATUSES.has(status)) return invalidEnum('status', status);
      if (status !== null) tests.push((o) => o.status === status);
      const sub = q.get('subscription');
      if (sub !== null) tests.push((o) => invoiceSubscription(o) === sub);
    }
    return { keep: (o) => tests.every((t) => t(o)) };
  }

  /** `expand[]` / `expand[0]` values; anything but the customer is ignored (left unexpanded). */
  function expansions(q: URLSearchParams): Set<string> {
    const out = new Set<string>();
    for (const [k, v] of q) if (/^expand\[\d*\]$/.test(k)) out.add(v);
    return out;
  }

  function expandOne(o: StripeObject, exp: Set<string>, prefix: string): StripeObject {
    const copy = structuredClone(o);
    if (exp.has(`${prefix}customer`) && typeof copy.customer === 'string') {
      const c = store.customers.get(copy.customer);
      copy.customer = c ? structuredClone(c) : { id: copy.customer, object: 'customer', deleted: true };
    }
    return copy;
  }

  const server = await startEmulatorServer({
    handle: (req) => {
      const reply = route(req);
      return { ...reply, headers: { 'request-id': requestId(), 'stripe-version': String(req.headers['stripe-version'] ?? '2025-03-31.basil'), ...reply.headers } };
    },
    faultBody: (status) => ({ body: JSON.stringify(faultBody(status)), contentType: 'application/json' }),
  });

  const upsert = (kind: Kind) => (o: StripeObject) => {
    if (typeof o.id !== 'string' || typeof o.created !== 'number') throw new Error(`a Stripe ${SINGULAR[kind]} needs a string id and a numeric created`);
    const copy = structuredClone(o);
    store[kind].set(o.id, copy);
    return copy;
  };
  const path = (p?: string) => (p ? { match: { path: p } } : {});

  return {
    ...server,
    keys,
    customers: store.customers,
    subscriptions: store.subscriptions,
    invoices: store.invoices,
    upsertCustomer: upsert('customers'),
    upsertSubscription: upsert('subscriptions'),
    upsertInvoice: upsert('invoices'),
    setSubscriptionStatus(id, status, at = Math.floor(Date.now() / 1000)) {
      const sub = store.subscriptions.get(id);
      if (!sub) throw new Error(`no subscription ${id} in the emulator`);
      sub.status = status;
      if (status === 'canceled') Object.assign(sub, { canceled_at: at, ended_at: at });
      return sub;
    },
    rateLimit(n, p) {
      for (let i = 0; i < n; i++) server.faults.push({ status: 429, ...path(p) });
    },
    lockTimeout(n, p) {
      const body = JSON.stringify(errorJson('invalid_request_error', 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.', { code: 'lock_timeout' }));
      for (let i = 0; i < n; i++) server.faults.push({ status: 429, body, headers: { 'stripe-should-retry': 'true' }, ...path(p) });
    },
    apiCalls: () => server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/') && !r.fault),
  };
}

/** Stripe's list order: newest `created` first; ties by id, descending. */
function newestFirst(a: StripeObject, b: StripeObject): number {
  return b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function createdRange(q: URLSearchParams): { test: (created: number) => boolean } | Reply {
  const bounds: Array<[string, (c: number, v: number) => boolean]> = [
    ['gt', (c, v) => c > v],
    ['gte', (c, v) => c >= v],
    ['lt', (c, v) => c < v],
    ['lte', (c, v) => c <= v],
  ];
  const checks: Array<(c: number) => boolean> = [];
  const exact = q.get('created');
  if (exact !== null) {
    const v = Number(exact);
    if (!Number.isInteger(v)) return stripeError(400, 'invalid_request_error', `Invalid integer: ${exact}`, { param: 'created' });
    checks.push((c) => c === v);
  }
  for (const [op, cmp] of bounds) {
    const raw = q.get(`created[${op}]`);
    if (raw === null) continue;
    const v = Number(raw);
    if (!Number.isInteger(v)) return stripeError(400, 'invalid_request_error', `Invalid integer: ${raw}`, { param: `created[${op}]` });
    checks.push((c) => cmp(c, v));
  }
  return { test: (c) => checks.every((f) => f(c)) };
}

function invoiceSubscription(o: Obj): string | undefined {
  const parent = o.parent as Obj | null | undefined;
  const details = parent?.subscription_details as Obj | null | undefined;
  return idOf(details?.subscription) ?? idOf(o.subscription);
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Obj).id === 'string') return (v as Obj).id as string;
  return undefined;
}

function invalidEnum(param: string, value: string): Reply {
  return stripeError(400, 'invalid_request_error', `Invalid ${param}: must be one of the allowed values (got ${JSON.stringify(value.slice(0, 40))})`, { param });
}

function errorJson(type: string, message: string, extra: { code?: string; param?: string } = {}): Obj {
  return { error: { ...(extra.code ? { code: extra.code } : {}), message, ...(extra.param ? { param: extra.param } : {}), type } };
}

function stripeError(status: number, type: string, message: string, extra: { code?: string; param?: string } = {}): Reply {
  return { status, body: errorJson(type, message, extra) };
}

function faultBody(status: number): Obj {
  if (status === 429) return errorJson('invalid_request_error', RATE_LIMIT_MESSAGE, { code: 'rate_limit' });
  if (status === 401) return errorJson('invalid_request_error', 'Invalid API Key provided: sk_test_****', { code: 'api_key_invalid' });
  if (status === 404) return errorJson('invalid_request_error', 'Unrecognized request URL.');
  if (status >= 500) return errorJson('api_error', 'Something went wrong on Stripe\'s end. (emulated)');
  return errorJson('invalid_request_error', `emulated ${status}`);
}

/** Like Stripe's masking in its 401 message: never echo a full key. */
function mask(key: string): string {
  if (key.length <= 12) return '****';
  return `${key.slice(0, 8)}****${key.slice(-4)}`;
}

function requestId(): string {
  return `req_${randomBytes(7).toString('hex')}`;
}
