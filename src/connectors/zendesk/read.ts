import { ProviderError } from '../../errors.js';
import { providerFetch, readProviderJson } from '../http.js';
import type { ZendeskConfig } from './index.js';

export interface ZendeskTicketRead {
  id: string;
  /** Zendesk's status, lower-case: new, open, pending, hold, solved, closed. */
  status: string;
  updatedAt: Date | null;
  externalId: string | null;
}

export interface ZendeskReader {
  /** The tickets among `ids` that exist (a deleted ticket is simply missing from the answer). */
  ticketsByIds(ids: readonly string[], signal?: AbortSignal): Promise<ZendeskTicketRead[]>;
}

/** Zendesk's show_many accepts up to 100 ids; reconcile asks for one customer's tickets at a time. */
const BATCH = 100;

/**
 * Read-only Zendesk access for reconcile: `GET /api/v2/tickets/show_many.json?ids=1,2,…` (tickets Handoff
 * linked to the customer). Pacing and 429 (Retry-After) handling are the caller's. Failures are
 * ProviderErrors from providerFetch; the credentials never appear in a message.
 */
export function createZendeskReader(cfg: ZendeskConfig, http: { timeoutMs: number }): ZendeskReader {
  const authorization = `Basic ${Buffer.from(`${cfg.email}/token:${cfg.apiToken}`).toString('base64')}`;
  return {
    async ticketsByIds(ids, signal) {
      const numeric = ids.filter((id) => /^\d{1,15}$/.test(id));
      const out: ZendeskTicketRead[] = [];
      for (let i = 0; i < numeric.length; i += BATCH) {
        const batch = numeric.slice(i, i + BATCH).join(',');
        const res = await providerFetch(
          'zendesk',
          `${cfg.baseUrl}/api/v2/tickets/show_many.json?ids=${batch}`,
          { method: 'GET', headers: { authorization, accept: 'application/json' } },
          { timeoutMs: http.timeoutMs, signal },
        );
        const list = ((await readProviderJson('zendesk', res, 'GET')) as { tickets?: unknown } | null)?.tickets;
        if (!Array.isArray(list)) throw new ProviderError('zendesk', 'protocol', 'zendesk show_many returned no "tickets" list');
        for (const t of list) out.push(asTicket(t));
      }
      return out;
    },
  };
}

function asTicket(v: unknown): ZendeskTicketRead {
  const o = v as { id?: unknown; status?: unknown; updated_at?: unknown; external_id?: unknown } | null;
  const id = typeof o?.id === 'number' || (typeof o?.id === 'string' && /^\d+$/.test(o.id)) ? String(o.id) : undefined;
  if (!o || id === undefined) throw new ProviderError('zendesk', 'protocol', 'zendesk returned a ticket without a numeric id');
  const at = typeof o.updated_at === 'string' ? new Date(o.updated_at) : null;
  return {
    id,
    status: typeof o.status === 'string' ? o.status.toLowerCase() : 'open',
    updatedAt: at && !Number.isNaN(at.getTime()) ? at : null,
    externalId: typeof o.external_id === 'string' && o.external_id !== '' ? o.external_id : null,
  };
}
