import type { AppConfig } from '../../config/index.js';
import { ProviderError } from '../../errors.js';
import { providerFetch, readProviderJson } from '../http.js';
import type { CallMeter } from '../meter.js';
import type { Connector, ConnectorResult, CustomerSnapshot, JobToRun } from '../types.js';
import { contactProperties, customPropertyDefinitions, existingIdFrom, NOTE_PROPERTY, NOTE_PROPERTY_DEFINITION, stageToSend } from './properties.js';

export {
  STAGE_ORDER,
  SUPPORT_PROPERTY,
  contactProperties,
  customPropertyDefinitions,
  stageToSend,
  existingIdFrom,
  type PropertyDefinition,
} from './properties.js';

export type HubspotConfig = NonNullable<AppConfig['hubspot']>;

interface Contact {
  id: string;
  properties: Record<string, string | null | undefined>;
}

const CONTACTS = '/crm/v3/objects/contacts';
const PROPERTIES = '/crm/v3/properties/contacts';

/** Which of our custom properties this process may write, and why the others are skipped. */
interface CustomProperties {
  usable: ReadonlySet<string>;
  /** Set when some are skipped; copied into every job result as `customProperties`. */
  missing?: string;
}

/**
 * HubSpot CRM v3 contacts. One job kind, `upsert_contact`: push the customer's CURRENT snapshot
 * (never the state at queue time), matched by email, so running a job twice changes nothing more.
 *
 * Request plan — fewest requests without ever relying on HubSpot to refuse a backward stage
 * (that v3 behaviour is unverified, see PROVIDERS.md):
 *   1. PATCH /contacts/{email}?idProperty=email with everything EXCEPT lifecyclestage. Always safe,
 *      and our state (custom properties) lands in the first request whatever happens next.
 *        404 → POST create WITH the mapped stage (a new contact has no stage to regress) — done, 2 requests.
 *              POST 409 (created concurrently) → PATCH by the "Existing ID" from the message, go on as 200.
 *        200 → the response tells the current stage if HubSpot echoes it; if not, one GET by id.
 *   2. Only if the mapped stage is strictly further along: PATCH by id { lifecyclestage }.
 * Steady state (stage unchanged) is 1 request when the stage is echoed, 2 otherwise; a forward
 * move costs one more. A read-first plan (GET, then one write) is always 2 and reads before writing.
 *
 * Failure modes: every non-2xx is a ProviderError from providerFetch (the dispatcher decides retries).
 * A 409 without a parsable id is rethrown as 409 (retryable): the next attempt's PATCH finds the contact.
 * The access token goes only into the Authorization header; it is never logged or put in a message.
 *
 * Custom properties (cfg.stateProperty, default handoff_lifecycle, and handoff_support) do not exist in
 * a fresh account, and writing an unknown property is a permanent 400 PROPERTY_DOESNT_EXIST. So before
 * its first upsert the connector ensures them, ONCE per process (one promise shared by concurrent jobs):
 *   - POST /crm/v3/properties/contacts for each: 201 created or 409 already exists → write them.
 *   - Any other failure (5xx, 429, network, 401, …) fails this job with that ProviderError, as every
 *     other call does, and the memo is forgotten: the next job (or this job's retry) tries again. A
 *     permanent error therefore costs one request per job and dead-letters each with the real cause;
 *     nothing stale is cached, so a fix in HubSpot is picked up without a restart.
 *   - 403 (the token lacks crm.schemas.contacts.write) → degrade, do not dead-letter every job: the
 *     properties may still exist (created by hand, as older docs said), so each is looked up with
 *     GET /crm/v3/properties/contacts/{name}: 200 → written as usual; 404, or 403 again (cannot
 *     tell) → left out. Contacts are still upserted with the standard properties (email, names,
 *     lifecyclestage) and every job result says `customProperties: "missing: …"`. That verdict is
 *     kept for the life of the process: grant the scope or create the properties, then restart.
 *     Nothing is logged; the reason names the properties and the scope, never the token.
 *   - A write that later fails with PROPERTY_DOESNT_EXIST (a property deleted while we run) still
 *     fails that job (permanent 400) but forgets the memo, so the next job recreates the property.
 * A property that exists with another type or options is not checked or changed (409 is enough):
 * a wrong definition shows up as HubSpot's own 400 on the write.
 */
/** One job run's cancellation and request count (each HubSpot request is charged to the run that sent it). */
interface RunScope {
  signal: AbortSignal;
  meter: CallMeter;
}

export function createHubspotConnector(cfg: HubspotConfig, http: { timeoutMs: number }): Connector {
  const call = async (method: string, path: string, body: unknown, scope: RunScope, expect: number[] = []) => {
    scope.meter.calls++;
    const res = await providerFetch(
      'hubspot',
      `${cfg.baseUrl}${path}`,
      {
        method,
        headers: { authorization: `Bearer ${cfg.accessToken}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      },
      { timeoutMs: http.timeoutMs, signal: scope.signal, expect },
    ).catch((err: unknown) => {
      throw withHalt(err);
    });
    return { status: res.status, json: await readProviderJson('hubspot', res, method) };
  };

  const definitions = customPropertyDefinitions(cfg.stateProperty);
  let ensured: Promise<CustomProperties> | undefined;

  function ensureCustomProperties(scope: RunScope): Promise<CustomProperties> {
    if (!ensured) {
      const attempt: Promise<CustomProperties> = createCustomProperties(scope).catch((err: unknown) => {
        if (ensured === attempt) ensured = undefined;
        throw err;
      });
      ensured = attempt;
    }
    return ensured;
  }

  async function createCustomProperties(scope: RunScope): Promise<CustomProperties> {
    for (const def of definitions) {
      try {
        await call('POST', PROPERTIES, def, scope, [409]); // 201 created, 409 already exists: both fine
      } catch (err) {
        if (err instanceof ProviderError && err.httpStatus === 403) return lookUpCustomProperties(scope);
        throw err;
      }
    }
    return { usable: new Set(definitions.map((d) => d.name)) };
  }

  /** After a 403 on creation: keep the properties that already exist, skip the rest. */
  async function lookUpCustomProperties(scope: RunScope): Promise<CustomProperties> {
    const usable = new Set<string>();
    const absent: string[] = [];
    const unknown: string[] = [];
    for (const { name } of definitions) {
      try {
        const res = await call('GET', `${PROPERTIES}/${encodeURIComponent(name)}`, undefined, scope, [404]);
        if (res.status === 404) absent.push(name);
        else usable.add(name);
      } catch (err) {
        if (err instanceof ProviderError && err.httpStatus === 403) unknown.push(name);
        else throw err;
      }
    }
    if (!absent.length && !unknown.length) return { usable };
    const parts = [
      ...(absent.length ? [`${absent.join(', ')} not defined`] : []),
      ...(unknown.length ? [`${unknown.join(', ')} could not be checked (HTTP 403)`] : []),
    ];
    const missing =
      `missing: ${parts.join('; ')}; the token may not create contact properties (HTTP 403, needs scope crm.schemas.contacts.write). ` +
      'Contacts are written without them: create them in HubSpot or grant the scope, then restart';
    return { usable, missing };
  }

  async function upsert(customer: CustomerSnapshot & { email: string }, custom: CustomProperties, scope: RunScope): Promise<ConnectorResult> {
    const mapped = cfg.lifecycleMap[customer.lifecycle];
    const properties = contactProperties(customer, cfg.stateProperty);
    for (const def of definitions) if (!custom.usable.has(def.name)) delete properties[def.name];
    const done = (contactId: string, created: boolean): ConnectorResult => ({
      status: 'done',
      identities: { hubspot_contact: contactId },
      result: { contactId, created, ...(custom.missing ? { customProperties: custom.missing } : {}) },
    });

    let updated = await call('PATCH', `${CONTACTS}/${encodeURIComponent(customer.email)}?idProperty=email`, { properties }, scope, [404]);
    if (updated.status === 404) {
      const created = await call('POST', CONTACTS, { properties: { ...properties, lifecyclestage: mapped } }, scope, [409]);
      if (created.status !== 409) return done(asContact(created.json).id, true);
      const id = existingIdFrom(created.json);
      if (!id) throw new ProviderError('hubspot', 'http', 'hubspot POST → HTTP 409 without an "Existing ID"; retry will update by email', { httpStatus: 409 });
      updated = await call('PATCH', `${CONTACTS}/${id}`, { properties }, scope);
    }
    const contact = asContact(updated.json);

    let current = contact.properties.lifecyclestage;
    if (current === undefined) {
      const read = await call('GET', `${CONTACTS}/${contact.id}?properties=lifecyclestage`, undefined, scope);
      current = asContact(read.json).properties.lifecyclestage ?? null;
    }
    const stage = stageToSend(current, mapped);
    if (stage) await call('PATCH', `${CONTACTS}/${contact.id}`, { properties: { lifecyclestage: stage } }, scope);
    return done(contact.id, false);
  }

  /**
   * Job kind `update_note` (the chatbot's update_contact_note): writes payload.note into NOTE_PROPERTY on
   * the contact, by email; creates the contact (email + note) when HubSpot has none, like upsert does.
   * The property is defined on first use (201 or 409: fine), remembered once that worked. Without the
   * schema scope (403) an existing definition is looked up; if it is missing the job is skipped with the
   * reason (grant crm.schemas.contacts.write or create the property). The note is never logged.
   */
  let noteDefined = false;
  async function defineNoteProperty(scope: RunScope): Promise<string | undefined> {
    try {
      await call('POST', PROPERTIES, NOTE_PROPERTY_DEFINITION, scope, [409]);
      return undefined;
    } catch (err) {
      if (!(err instanceof ProviderError && err.httpStatus === 403)) throw err;
      const res = await call('GET', `${PROPERTIES}/${NOTE_PROPERTY}`, undefined, scope, [403, 404]);
      if (res.status === 200) return undefined;
      return `contact property ${NOTE_PROPERTY} is missing and the token may not create it (HTTP 403, needs scope crm.schemas.contacts.write): create it in HubSpot or grant the scope`;
    }
  }

  async function updateNote(job: JobToRun, email: string, scope: RunScope): Promise<ConnectorResult> {
    const note = typeof job.payload.note === 'string' ? job.payload.note : '';
    // An empty string would CLEAR the property in HubSpot.
    if (note.trim() === '') return { status: 'skipped', reason: 'the job carries no note' };
    if (!noteDefined) {
      const missing = await defineNoteProperty(scope);
      if (missing) return { status: 'skipped', reason: missing };
      noteDefined = true;
    }
    const properties = { [NOTE_PROPERTY]: note };
    const done = (contactId: string, created: boolean): ConnectorResult => ({
      status: 'done',
      identities: { hubspot_contact: contactId },
      result: { contactId, created, property: NOTE_PROPERTY },
      note: `HubSpot note updated (${NOTE_PROPERTY})`,
    });
    try {
      const updated = await call('PATCH', `${CONTACTS}/${encodeURIComponent(email)}?idProperty=email`, { properties }, scope, [404]);
      if (updated.status !== 404) return done(asContact(updated.json).id, false);
      const created = await call('POST', CONTACTS, { properties: { email, ...properties } }, scope, [409]);
      if (created.status !== 409) return done(asContact(created.json).id, true);
      const id = existingIdFrom(created.json);
      if (!id) throw new ProviderError('hubspot', 'http', 'hubspot POST → HTTP 409 without an "Existing ID"; retry will update by email', { httpStatus: 409 });
      await call('PATCH', `${CONTACTS}/${id}`, { properties }, scope);
      return done(id, false);
    } catch (err) {
      if (isMissingProperty(err)) noteDefined = false; // deleted under us: define it again on the next job
      throw err;
    }
  }

  return {
    name: 'hubspot',
    // upsert: PATCH by email, POST (409), PATCH by id, GET the stage, PATCH the stage. Not counted: the property
    // definitions a process's first job sends once (two to four requests), and update_note's at most three.
    callsPerJob: 5,
    async run(job: JobToRun, customer: CustomerSnapshot, signal: AbortSignal, meter: CallMeter = { calls: 0 }): Promise<ConnectorResult> {
      const scope: RunScope = { signal, meter };
      if (job.kind === 'update_note') {
        if (!customer.email) return { status: 'skipped', reason: 'customer has no email; HubSpot contacts are matched by email' };
        return updateNote(job, customer.email, scope);
      }
      if (job.kind !== 'upsert_contact') throw new Error(`hubspot connector: unknown job kind "${job.kind}" (expected upsert_contact)`);
      if (!customer.email) return { status: 'skipped', reason: 'customer has no email; HubSpot contacts are matched by email' };
      const custom = await ensureCustomProperties(scope);
      try {
        return await upsert({ ...customer, email: customer.email }, custom, scope);
      } catch (err) {
        if (isMissingProperty(err)) ensured = undefined; // deleted under us: recreate on the next job
        throw err;
      }
    },
  };
}

/**
 * Failures that belong to the connector, not the job, get ProviderError.halt:
 * - 401, and 403 (the schema-scope paths above catch their own 403 first): HUBSPOT_ACCESS_TOKEN is
 *   invalid, revoked or lacks the contacts scopes → the dispatcher pauses HubSpot until a probe succeeds.
 * - 429 with policyName DAILY (providerFetch keeps it as the message's "(DAILY)" tag): the account's
 *   daily quota is spent → paused until Retry-After when HubSpot sends one, else the next midnight UTC.
 *   HubSpot resets at midnight in the ACCOUNT's time zone, which the API does not tell; if the quota is
 *   still spent then, the dispatcher probes hourly until it is back.
 * TEN_SECONDLY_ROLLING 429s stay ordinary retryable failures.
 */
function withHalt(err: unknown, now = Date.now()): unknown {
  if (!(err instanceof ProviderError) || err.kind !== 'http' || err.halt) return err;
  const same = { httpStatus: err.httpStatus, retryAfterMs: err.retryAfterMs, cause: err };
  if (err.httpStatus === 401 || err.httpStatus === 403) {
    return new ProviderError('hubspot', 'http', err.message, { ...same, halt: { reason: 'credentials', variable: 'HUBSPOT_ACCESS_TOKEN' } });
  }
  if (err.httpStatus === 429 && / \(DAILY\)$/.test(err.message)) {
    const until = new Date(err.retryAfterMs !== undefined ? now + err.retryAfterMs : nextMidnightUtc(now));
    return new ProviderError('hubspot', 'http', err.message, { ...same, halt: { reason: 'quota', until } });
  }
  return err;
}

function nextMidnightUtc(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** HubSpot's 400 for a write naming a property the account does not have (message text, as summarised). */
function isMissingProperty(err: unknown): boolean {
  return err instanceof ProviderError && err.httpStatus === 400 && /PROPERTY_DOESNT_EXIST|does not exist/.test(err.message);
}

/** A contact object as HubSpot returns it; anything else is a protocol error, not a crash. */
function asContact(json: unknown): Contact {
  const o = json as { id?: unknown; properties?: unknown } | null;
  const idOk = typeof o?.id === 'string' || typeof o?.id === 'number';
  if (!o || !idOk || !o.properties || typeof o.properties !== 'object') {
    throw new ProviderError('hubspot', 'protocol', 'hubspot returned a contact without id/properties');
  }
  return { id: String(o.id), properties: o.properties as Contact['properties'] };
}
