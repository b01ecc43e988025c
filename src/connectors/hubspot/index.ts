import type { AppConfig } from '../../config/index.js';
import { ProviderError } from '../../errors.js';
import { providerFetch } from '../http.js';
import type { Connector, ConnectorResult, CustomerSnapshot, JobToRun } from '../types.js';
import { contactProperties, existingIdFrom, stageToSend } from './properties.js';

export { STAGE_ORDER, SUPPORT_PROPERTY, contactProperties, stageToSend, existingIdFrom } from './properties.js';

export type HubspotConfig = NonNullable<AppConfig['hubspot']>;

interface Contact {
  id: string;
  properties: Record<string, string | null | undefined>;
}

const CONTACTS = '/crm/v3/objects/contacts';

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
 * Missing custom properties (handoff_lifecycle, handoff_support) make HubSpot answer 400: create them once
 * in HubSpot (Settings → Properties); that is permanent until fixed.
 * The access token goes only into the Authorization header; it is never logged or put in a message.
 */
export function createHubspotConnector(cfg: HubspotConfig, http: { timeoutMs: number }): Connector {
  const call = async (method: string, path: string, body: unknown, signal: AbortSignal, expect: number[] = []) => {
    const res = await providerFetch(
      'hubspot',
      `${cfg.baseUrl}${path}`,
      {
        method,
        headers: { authorization: `Bearer ${cfg.accessToken}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      },
      { timeoutMs: http.timeoutMs, signal, expect },
    );
    return { status: res.status, json: await readJson(res, method) };
  };

  async function upsert(customer: CustomerSnapshot & { email: string }, signal: AbortSignal): Promise<ConnectorResult> {
    const mapped = cfg.lifecycleMap[customer.lifecycle];
    const properties = contactProperties(customer, cfg.stateProperty);

    let updated = await call('PATCH', `${CONTACTS}/${encodeURIComponent(customer.email)}?idProperty=email`, { properties }, signal, [404]);
    if (updated.status === 404) {
      const created = await call('POST', CONTACTS, { properties: { ...properties, lifecyclestage: mapped } }, signal, [409]);
      if (created.status !== 409) return done(asContact(created.json).id, true);
      const id = existingIdFrom(created.json);
      if (!id) throw new ProviderError('hubspot', 'http', 'hubspot POST → HTTP 409 without an "Existing ID"; retry will update by email', { httpStatus: 409 });
      updated = await call('PATCH', `${CONTACTS}/${id}`, { properties }, signal);
    }
    const contact = asContact(updated.json);

    let current = contact.properties.lifecyclestage;
    if (current === undefined) {
      const read = await call('GET', `${CONTACTS}/${contact.id}?properties=lifecyclestage`, undefined, signal);
      current = asContact(read.json).properties.lifecyclestage ?? null;
    }
    const stage = stageToSend(current, mapped);
    if (stage) await call('PATCH', `${CONTACTS}/${contact.id}`, { properties: { lifecyclestage: stage } }, signal);
    return done(contact.id, false);
  }

  return {
    name: 'hubspot',
    async run(job: JobToRun, customer: CustomerSnapshot, signal: AbortSignal): Promise<ConnectorResult> {
      if (job.kind !== 'upsert_contact') throw new Error(`hubspot connector: unknown job kind "${job.kind}" (expected upsert_contact)`);
      if (!customer.email) return { status: 'skipped', reason: 'customer has no email; HubSpot contacts are matched by email' };
      return upsert({ ...customer, email: customer.email }, signal);
    },
  };
}

function done(contactId: string, created: boolean): ConnectorResult {
  return { status: 'done', identities: { hubspot_contact: contactId }, result: { contactId, created } };
}

async function readJson(res: Response, method: string): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('hubspot', 'protocol', `hubspot ${method} → HTTP ${res.status} with a body that is not JSON`);
  }
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
