import type { AppConfig } from '../../config/index.js';
import { providerFetch, type ProviderResponse } from '../../connectors/http.js';
import { ProviderError } from '../../errors.js';
import { oneLine } from '../format.js';
import { fail, pass, type CheckResult } from './types.js';

/**
 * Each enabled connector's credentials, by one cheap authenticated READ (nothing is created or sent).
 * Slack incoming webhooks and the outbound webhook have no read: they pass with a note, since the only
 * check would be sending a message. Messages never contain a credential (providerFetch redacts them).
 */
export async function checkConnectors(config: AppConfig, timeoutMs: number): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  if (config.hubspot) out.push(await hubspot(config.hubspot, timeoutMs));
  if (config.zendesk) out.push(await zendesk(config.zendesk, timeoutMs));
  if (config.email) out.push(await resend(config.email, timeoutMs));
  if (config.slack) out.push(pass('connector.slack', 'slack', 'SLACK_WEBHOOK_URL is set; not checkable without sending a message (Slack webhooks have no read)'));
  if (config.outbound) out.push(pass('connector.webhook', 'outbound webhook', 'OUTBOUND_WEBHOOK_URL is set; not checkable without sending a signed event'));
  return out;
}

async function read(provider: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProviderResponse | ProviderError> {
  try {
    return await providerFetch(provider, url, { headers: { accept: 'application/json', ...headers } }, { timeoutMs, expect: [401, 403, 404] });
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
}

const unreachable = (id: string, title: string, err: ProviderError, variable: string): CheckResult =>
  fail(id, title, oneLine(err.message, 240), `check ${variable} and that this machine can reach it${err.httpStatus && err.httpStatus >= 500 ? ' (the provider answered with a server error: try again later)' : ''}`);

async function hubspot(c: NonNullable<AppConfig['hubspot']>, timeoutMs: number): Promise<CheckResult> {
  const [id, title] = ['connector.hubspot', 'hubspot'];
  const res = await read('hubspot', `${c.baseUrl}/crm/v3/objects/contacts?limit=1`, { authorization: `Bearer ${c.accessToken}` }, timeoutMs);
  if (res instanceof ProviderError) return unreachable(id, title, res, 'HUBSPOT_BASE_URL');
  const tokenFix = 'create a private app in HubSpot (Settings → Integrations → Private apps) with scopes crm.objects.contacts.read/write and crm.schemas.contacts.write, and set HUBSPOT_ACCESS_TOKEN to its token';
  if (res.status === 401) return fail(id, title, 'HUBSPOT_ACCESS_TOKEN was rejected (401)', tokenFix);
  if (res.status === 403) return fail(id, title, 'HUBSPOT_ACCESS_TOKEN lacks a scope to read contacts (403)', tokenFix);
  if (res.status === 404) return fail(id, title, 'GET /crm/v3/objects/contacts answered 404: HUBSPOT_BASE_URL is not HubSpot\'s API', 'unset HUBSPOT_BASE_URL (default https://api.hubapi.com) or correct it');
  return pass(id, title, `token accepted (GET /crm/v3/objects/contacts?limit=1 → ${res.status})`);
}

/**
 * Zendesk: the ticket lookup by external_id the connector itself relies on (idempotency past Zendesk's
 * 2 h key window). It needs an authenticated agent, unlike users/me, which answers an anonymous 200.
 */
async function zendesk(c: NonNullable<AppConfig['zendesk']>, timeoutMs: number): Promise<CheckResult> {
  const [id, title] = ['connector.zendesk', 'zendesk'];
  const basic = Buffer.from(`${c.email}/token:${c.apiToken}`).toString('base64');
  const res = await read('zendesk', `${c.baseUrl}/api/v2/tickets.json?external_id=handoff-doctor-probe`, { authorization: `Basic ${basic}` }, timeoutMs);
  if (res instanceof ProviderError) return unreachable(id, title, res, 'ZENDESK_SUBDOMAIN / ZENDESK_BASE_URL');
  const fix = 'create an API token in Zendesk (Admin Center → Apps and integrations → Zendesk API), set ZENDESK_EMAIL to an agent\'s address and ZENDESK_API_TOKEN to the token';
  if (res.status === 401) return fail(id, title, 'ZENDESK_EMAIL / ZENDESK_API_TOKEN were rejected (401)', fix);
  if (res.status === 403) return fail(id, title, 'ZENDESK_EMAIL is not allowed to read tickets (403): it must be an agent or admin', fix);
  if (res.status === 404) return fail(id, title, 'GET /api/v2/tickets.json answered 404: not a Zendesk account', 'check ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)');
  const body = (await res.json().catch(() => undefined)) as { tickets?: unknown } | undefined;
  if (!body || !Array.isArray(body.tickets)) return fail(id, title, `GET /api/v2/tickets.json → ${res.status} without a ticket list: not Zendesk's API`, 'check ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)');
  return pass(id, title, `credentials accepted (GET /api/v2/tickets.json → ${res.status})`);
}

async function resend(c: NonNullable<AppConfig['email']>, timeoutMs: number): Promise<CheckResult> {
  const [id, title] = ['connector.email', 'email (resend)'];
  const res = await read('resend', `${c.baseUrl}/domains`, { authorization: `Bearer ${c.apiKey}` }, timeoutMs);
  if (res instanceof ProviderError) return unreachable(id, title, res, 'RESEND_BASE_URL');
  const body = (await res.json().catch(() => ({}))) as { name?: unknown; data?: Array<{ name?: unknown; status?: unknown }> };
  const keyFix = 'create an API key in Resend (API Keys) and set RESEND_API_KEY';
  // A "sending access" key may send but not list domains: Resend answers 401 restricted_api_key.
  if (res.status === 401 && body.name === 'restricted_api_key') return pass(id, title, 'RESEND_API_KEY accepted (a sending-only key: the domain status cannot be read with it)');
  if (res.status === 401 || res.status === 403) return fail(id, title, `RESEND_API_KEY was rejected (${res.status}${typeof body.name === 'string' ? ` ${body.name}` : ''})`, keyFix);
  if (res.status === 404) return fail(id, title, 'GET /domains answered 404: RESEND_BASE_URL is not Resend\'s API', 'unset RESEND_BASE_URL (default https://api.resend.com) or correct it');
  const domain = /@([^\s>]+)>?\s*$/.exec(c.from)?.[1]?.toLowerCase();
  if (!domain || domain === 'resend.dev') return pass(id, title, `RESEND_API_KEY accepted${domain ? '; EMAIL_FROM uses resend.dev, Resend\'s testing domain (it delivers only to your own address)' : ''}`);
  const found = (body.data ?? []).find((d) => String(d.name ?? '').toLowerCase() === domain);
  if (!found) return fail(id, title, `RESEND_API_KEY accepted, but EMAIL_FROM's domain ${domain} is not a domain of this Resend account`, `add ${domain} in Resend (Domains), publish its DNS records, and verify it`);
  if (found.status !== 'verified') return fail(id, title, `EMAIL_FROM's domain ${domain} is ${String(found.status)} in Resend, not verified: emails to customers are refused`, `publish the DNS records Resend shows for ${domain}, then verify it (handoff doctor --domain ${domain} checks them)`);
  return pass(id, title, `RESEND_API_KEY accepted; EMAIL_FROM's domain ${domain} is verified`);
}
