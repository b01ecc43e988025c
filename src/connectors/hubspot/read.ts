import { ProviderError } from '../../errors.js';
import { providerFetch, readProviderJson } from '../http.js';
import type { HubspotConfig } from './index.js';
import { SUPPORT_PROPERTY } from './properties.js';

/** A contact as reconcile compares it: our properties, lifecyclestage, and HubSpot's last modification. */
export interface HubspotContactRead {
  id: string;
  properties: Record<string, string | null>;
  updatedAt: Date | null;
}

export interface HubspotReader {
  /** The contact with this email, or null when HubSpot has none (404). */
  contactByEmail(email: string, signal?: AbortSignal): Promise<HubspotContactRead | null>;
}

/**
 * Read-only HubSpot access for reconcile: one request per lookup,
 * `GET /crm/v3/objects/contacts/{email}?idProperty=email&properties=…` (404 → absent).
 * Pacing and 429 handling are the caller's (reconcile reads sequentially under half the connector's rate
 * limit). Failures are ProviderErrors from providerFetch; the token never appears in a message.
 */
export function createHubspotReader(cfg: HubspotConfig, http: { timeoutMs: number }): HubspotReader {
  const properties = ['email', 'lifecyclestage', cfg.stateProperty, SUPPORT_PROPERTY, 'lastmodifieddate'].join(',');
  return {
    async contactByEmail(email, signal) {
      const url = `${cfg.baseUrl}/crm/v3/objects/contacts/${encodeURIComponent(email)}?idProperty=email&properties=${encodeURIComponent(properties)}`;
      const res = await providerFetch(
        'hubspot',
        url,
        { method: 'GET', headers: { authorization: `Bearer ${cfg.accessToken}`, accept: 'application/json' } },
        { timeoutMs: http.timeoutMs, signal, expect: [404] },
      );
      const json = await readProviderJson('hubspot', res, 'GET');
      if (res.status === 404) return null;
      const o = json as { id?: unknown; properties?: unknown; updatedAt?: unknown } | null;
      if (!o || (typeof o.id !== 'string' && typeof o.id !== 'number') || !o.properties || typeof o.properties !== 'object') {
        throw new ProviderError('hubspot', 'protocol', 'hubspot returned a contact without id/properties');
      }
      const props: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(o.properties as Record<string, unknown>)) props[k] = typeof v === 'string' ? v : v === null || v === undefined ? null : String(v);
      const modified = typeof o.updatedAt === 'string' ? o.updatedAt : props.lastmodifieddate;
      const at = modified ? new Date(modified) : null;
      return { id: String(o.id), properties: props, updatedAt: at && !Number.isNaN(at.getTime()) ? at : null };
    },
  };
}
