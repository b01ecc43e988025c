import { startEmulatorServer, type EmulatorServer, type RecordedRequest, type Reply } from './server.js';
import {
  ContactStore,
  DEFAULT_PROPS,
  errorBody,
  missingScopes,
  notFound,
  propertyNotFound,
  toWire,
  validation,
  type BackwardStageRule,
  type PropertyDefinition,
  type StoredContact,
} from './hubspot-store.js';

/**
 * HubSpot CRM v3 contacts emulator: a real HTTP server on 127.0.0.1.
 *
 * Routes: POST /crm/v3/objects/contacts (201; 409 "Existing ID" when the email exists),
 * GET /crm/v3/objects/contacts?limit=N (200, the first page),
 * PATCH|GET /crm/v3/objects/contacts/:id[?idProperty=email] (200; 404), POST …/batch/upsert,
 * POST …/search (EQ filters only); POST /crm/v3/properties/contacts (201 with the definition; 409
 * OBJECT_ALREADY_EXISTS when the name is taken, standard names included) and
 * GET /crm/v3/properties/contacts/:name (200; 404). Every request needs `Authorization: Bearer
 * <token>` (401 otherwise) and counts against a rolling rate limit (429 TEN_SECONDLY_ROLLING, no
 * Retry-After, like HubSpot); every answer carries X-HubSpot-RateLimit-* headers.
 *
 * Like a fresh HubSpot account, only standard contact properties exist (email, firstname, lastname,
 * lifecyclestage, phone, company, …, every hs_*): a create/update/batch write naming any other
 * property answers 400 VALIDATION_ERROR with PROPERTY_DOESNT_EXIST, all-or-nothing, until it is
 * defined (by the properties API, or `definedProperties` at start). `seed()` is exempt.
 *
 * Switches for behaviour PROVIDERS.md marks unverified:
 * - backwardStage: 'reject' (default) answers a backward lifecyclestage write with 400
 *   VALIDATION_ERROR, so a connector that sends one fails loudly in tests; 'ignore' keeps the stage
 *   silently (200), as HubSpot's forum describes.
 * - patchEchoes: 'sent' (default) — a PATCH response carries the default properties plus those sent
 *   (HubSpot's documented examples); 'all' — every stored property, lifecyclestage included.
 * - searchLagMs: contacts younger than this are invisible to search (HubSpot indexes asynchronously).
 */
export interface HubspotEmulatorOptions {
  token?: string;
  backwardStage?: BackwardStageRule;
  patchEchoes?: 'sent' | 'all';
  searchLagMs?: number;
  /** Default 100 requests / 10 s (private app, Free/Starter). */
  rateLimit?: { max: number; intervalMs: number };
  /** Custom contact properties that already exist at start (default none: a fresh account). See HANDOFF_PROPERTIES. */
  definedProperties?: readonly string[];
  /**
   * The token's property-schema scope: 'write' (default) may create and read definitions; 'read'
   * gets 403 MISSING_SCOPES on creation only; 'none' gets 403 on both.
   */
  schemaScope?: 'write' | 'read' | 'none';
}

export interface HubspotEmulator extends EmulatorServer {
  token: string;
  /** Keyed by lower-case email. Mutate freely to arrange a test. */
  contacts: Map<string, StoredContact>;
  /** Custom property definitions by name (standard ones are implicit). Mutate freely to arrange a test. */
  properties: Map<string, PropertyDefinition>;
  /** Create a contact directly (no request recorded, any property allowed); returns it. */
  seed(properties: Record<string, string>): StoredContact;
  /** Someone edits the contact in HubSpot's UI: no request recorded, any property, lastmodifieddate moves. */
  edit(email: string, properties: Record<string, string>): StoredContact;
}

export const HUBSPOT_TEST_TOKEN = 'pat-na1-emulator-token';
/** Handoff's custom contact properties under the default configuration. */
export const HANDOFF_PROPERTIES: readonly string[] = ['handoff_lifecycle', 'handoff_support'];
const BASE = '/crm/v3/objects/contacts';
const PROPERTIES = '/crm/v3/properties/contacts';
const DAILY = 250_000;

export async function startHubspotEmulator(opts: HubspotEmulatorOptions = {}): Promise<HubspotEmulator> {
  const token = opts.token ?? HUBSPOT_TEST_TOKEN;
  const store = new ContactStore(opts.backwardStage ?? 'reject');
  for (const name of opts.definedProperties ?? []) {
    const r = store.defineProperty({ name, label: name, type: 'string', fieldType: 'text', groupName: 'contactinformation' });
    if ('error' in r) throw new Error(`definedProperties: ${JSON.stringify(r.error)}`);
  }
  const scope = opts.schemaScope ?? 'write';
  const limit = opts.rateLimit ?? { max: 100, intervalMs: 10_000 };
  const recent: number[] = [];
  let daily = 0;

  const rateHeaders = (): Record<string, string> => ({
    'x-hubspot-ratelimit-max': String(limit.max),
    'x-hubspot-ratelimit-remaining': String(Math.max(0, limit.max - recent.length)),
    'x-hubspot-ratelimit-interval-milliseconds': String(limit.intervalMs),
    'x-hubspot-ratelimit-daily': String(DAILY),
    'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, DAILY - daily)),
  });

  function route(req: RecordedRequest, raw: string): Reply {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: errorBody(
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          'INVALID_AUTHENTICATION',
        ),
      };
    }
    const now = Date.now();
    while (recent.length && now - recent[0]! >= limit.intervalMs) recent.shift();
    if (recent.length >= limit.max) {
      const body = errorBody('You have reached your ten_secondly_rolling limit.', undefined, { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      return { status: 429, body };
    }
    recent.push(now);
    daily++;

    if ((req.method === 'POST' || req.method === 'PATCH') && raw && typeof req.body === 'string') {
      return { status: 400, body: validation(`Invalid input JSON on line 1, column 1: ${raw.slice(0, 20)}`) };
    }
    const url = new URL(req.path, 'http://emulator');
    const path = url.pathname.replace(/\/+$/, '');
    const body = (req.body ?? {}) as Record<string, unknown>;

    if (req.method === 'POST' && path === BASE) return created(body.properties);
    if (req.method === 'GET' && path === BASE) return listed(url.searchParams);
    if (req.method === 'POST' && path === `${BASE}/batch/upsert`) return batchUpsert(body.inputs);
    if (req.method === 'POST' && path === `${BASE}/search`) return search(body);
    if (req.method === 'POST' && path === PROPERTIES) {
      if (scope !== 'write') return { status: 403, body: missingScopes(['crm.schemas.contacts.write']) };
      const r = store.defineProperty(body);
      return 'error' in r ? { status: r.status, body: r.error } : { status: 201, body: r.property };
    }
    const prop = /^\/crm\/v3\/properties\/contacts\/([^/]+)$/.exec(path);
    if (prop && req.method === 'GET') {
      if (scope === 'none') return { status: 403, body: missingScopes(['crm.schemas.contacts.read']) };
      const name = decodeURIComponent(prop[1]!);
      const def = store.property(name);
      return def ? { status: 200, body: def } : { status: 404, body: propertyNotFound(name) };
    }
    const one = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(path);
    if (one && (req.method === 'PATCH' || req.method === 'GET')) {
      const key = decodeURIComponent(one[1]!);
      const contact = url.searchParams.get('idProperty') === 'email' ? store.byEmail(key) : store.byId(key);
      if (!contact) return { status: 404, body: notFound() };
      if (req.method === 'GET') {
        const names = url.searchParams.get('properties')?.split(',').filter(Boolean);
        return { status: 200, body: toWire(contact, names ? [...names, 'hs_object_id', 'createdate', 'lastmodifieddate'] : DEFAULT_PROPS) };
      }
      const props = objectOrEmpty(body.properties);
      const r = store.update(contact, props);
      if ('error' in r) return { status: r.status, body: r.error };
      return { status: 200, body: toWire(r.contact, opts.patchEchoes === 'all' ? undefined : [...DEFAULT_PROPS, ...Object.keys(props)]) };
    }
    return { status: 404, body: notFound() };
  }

  /** GET /crm/v3/objects/contacts?limit=N (1–100, default 10): the first page, oldest first. */
  function listed(params: URLSearchParams): Reply {
    const limitN = Number(params.get('limit') ?? 10);
    if (!Number.isInteger(limitN) || limitN < 1 || limitN > 100) return { status: 400, body: validation('limit must be an integer from 1 to 100') };
    const all = [...store.contacts.values()];
    const page = all.slice(0, limitN).map((c) => toWire(c, DEFAULT_PROPS));
    return { status: 200, body: all.length > limitN ? { results: page, paging: { next: { after: String(limitN) } } } : { results: page } };
  }

  function created(properties: unknown): Reply {
    const r = store.create(objectOrEmpty(properties));
    return 'error' in r ? { status: r.status, body: r.error } : { status: 201, body: toWire(r.contact) };
  }

  function batchUpsert(inputs: unknown): Reply {
    if (!Array.isArray(inputs)) return { status: 400, body: validation('inputs must be an array') };
    const startedAt = new Date().toISOString();
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const input of inputs as Array<{ idProperty?: string; id?: string; properties?: unknown }>) {
      if (input.idProperty !== 'email' || !input.id) {
        errors.push(validation('this emulator upserts by idProperty "email" only'));
        continue;
      }
      const props = objectOrEmpty(input.properties);
      const existing = store.byEmail(input.id);
      const r = existing ? store.update(existing, props) : store.create({ ...props, email: input.id });
      if ('error' in r) errors.push({ ...r.error, context: { id: [input.id] } });
      else results.push({ ...toWire(r.contact), new: !existing });
    }
    const body = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    return errors.length ? { status: 207, body: { ...body, errors, numErrors: errors.length } } : { status: 200, body };
  }

  function search(body: Record<string, unknown>): Reply {
    const groups = (body.filterGroups ?? []) as Array<{ filters?: Array<{ propertyName: string; operator: string; value: unknown }> }>;
    const filters = groups.flatMap((g) => g.filters ?? []);
    if (filters.some((f) => f.operator !== 'EQ')) return { status: 400, body: validation('this emulator supports the EQ operator only') };
    const visibleBefore = Date.now() - (opts.searchLagMs ?? 0);
    const hits = [...store.contacts.values()].filter(
      (c) =>
        Date.parse(c.createdAt) <= visibleBefore &&
        (groups.length === 0 ||
          groups.some((g) => (g.filters ?? []).every((f) => (c.properties[f.propertyName] ?? '').toLowerCase() === String(f.value).toLowerCase()))),
    );
    const names = Array.isArray(body.properties) ? (body.properties as string[]) : DEFAULT_PROPS;
    const limitN = typeof body.limit === 'number' ? body.limit : 10;
    return { status: 200, body: { total: hits.length, results: hits.slice(0, limitN).map((c) => toWire(c, names)) } };
  }

  const server = await startEmulatorServer({
    handle: (req, raw) => {
      const reply = route(req, raw);
      return { ...reply, headers: { ...rateHeaders(), ...reply.headers } };
    },
    faultBody: (status) => ({ body: JSON.stringify(faultBody(status)), contentType: 'application/json;charset=utf-8' }),
  });

  return {
    ...server,
    token,
    contacts: store.contacts,
    properties: store.properties,
    edit(email, properties) {
      const contact = store.byEmail(email);
      if (!contact) throw new Error(`edit: no contact ${email}`);
      const now = new Date().toISOString();
      Object.assign(contact.properties, properties, { lastmodifieddate: now });
      contact.updatedAt = now;
      return contact;
    },
    seed(properties) {
      const r = store.create(properties, true);
      if ('error' in r) throw new Error(`seed failed: ${JSON.stringify(r.error)}`);
      return r.contact;
    },
  };
}

function faultBody(status: number): object {
  if (status === 429) return errorBody('You have reached your ten_secondly_rolling limit.', undefined, { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
  if (status === 404) return notFound();
  if (status === 401) return errorBody('Authentication credentials not found.', 'INVALID_AUTHENTICATION');
  return errorBody(status >= 500 ? 'internal error' : `emulated ${status}`);
}

function objectOrEmpty(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
