import { createHash } from 'node:crypto';
import type { AppConfig } from '../../config/index.js';
import { ConfigError, ProviderError } from '../../errors.js';
import { parseRetryAfter, providerFetch, readProviderJson, type ProviderResponse } from '../http.js';
import type { Connector, ConnectorResult, CustomerSnapshot, JobToRun } from '../types.js';
import { EMAIL_TEMPLATES, FOUNDER_TEMPLATES, SHIPPED_TEMPLATES_DIR, loadTemplates, renderEmail, type EmailTemplateName, type Templates } from './templates.js';
import { emailView, type EmailFacts } from './view.js';

export { EMAIL_TEMPLATES, SHIPPED_TEMPLATES_DIR, loadTemplates, renderEmail } from './templates.js';
export type { EmailTemplateName, RenderedEmail, TemplateSet, Templates } from './templates.js';
export { emailView, formatLongDate, formatMoney, senderName, VIEW_KEYS, type EmailView, type EmailFacts } from './view.js';

export type EmailConfig = NonNullable<AppConfig['email']>;

/** Resend's documented limit for Idempotency-Key. */
const KEY_MAX = 256;
/** `a@b.co` or `Name <a@b.co>`: what Resend accepts as `from`. */
const FROM = /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

/**
 * Customer email through Resend (`POST {baseUrl}/emails`). One job kind, `send`, payload
 * `{template, facts, requires?}`; `requires` is checked by the dispatcher before this runs (no dunning
 * email to a customer who has paid since), so a job that reaches `run` is still true.
 *
 * - Recipient: the customer's CURRENT email; none → skipped ("customer has no email address"). Alert emails
 *   (alert_opened / alert_resolved, queued by the alert rules with no customer) go to payload.to only.
 * - At most once per cause: `Idempotency-Key` = the job's idempotency key (derived from the cause), so a
 *   retry after a lost answer is answered by Resend with the first email's id instead of sending again
 *   (Resend keeps keys 24 h). A key that is not a plain ASCII header value of ≤256 chars is replaced by a
 *   stable hash of itself.
 * - Templates are loaded, and EMAIL_FROM checked, when the connector is created: a bad template folder or
 *   sender fails start-up with a ConfigError instead of dead-lettering every email.
 * - Errors (ProviderError; the dispatcher's table decides retries):
 *     401, 403 invalid/restricted key → halt `credentials`, variable RESEND_API_KEY (pause, do not burn jobs);
 *     403 validation_error (sending domain not verified) → halt `credentials`, variable EMAIL_FROM;
 *     409 concurrent_idempotent_requests → retryable (the first attempt is still in flight at Resend);
 *     409 invalid_idempotent_request → permanent, kind 'protocol': Resend already holds a DIFFERENT email
 *       under this key (the template or the address changed between attempts), so the first one most
 *       likely went out; retrying cannot change that;
 *     422 → permanent; 429 → retried after `retry-after`; 5xx, network, timeout → retried.
 * - Never logs or returns the body; the note names the subject only. The API key only travels in the
 *   Authorization header (providerFetch redacts it from every message).
 */
export function createEmailConnector(cfg: EmailConfig, http: { timeoutMs: number }): Connector {
  const problems = FROM.test(cfg.from.trim()) ? [] : ['EMAIL_FROM: must be an address or "Name <address>" on a domain verified in Resend (e.g. "Acme <billing@acme.com>")'];
  let templates: Templates = new Map();
  try {
    templates = loadTemplates(cfg.templatesDir ?? SHIPPED_TEMPLATES_DIR);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    name: 'email',
    async run(job: JobToRun, customer: CustomerSnapshot | null, signal: AbortSignal): Promise<ConnectorResult> {
      if (job.kind !== 'send') throw new Error(`email connector: unknown job kind "${job.kind}" (expected send)`);
      const { template, facts, to: founder } = parsePayload(job.payload);
      // A founder email (alert) goes to payload.to and never to a customer; a customer email needs one.
      const to = FOUNDER_TEMPLATES.has(template) ? founder : customer?.email ? [customer.email] : [];
      if (FOUNDER_TEMPLATES.has(template) && to.length === 0) throw new Error(`email connector: ${template} needs payload.to (the founder's addresses)`);
      if (to.length === 0) return { status: 'skipped', reason: 'customer has no email address' };
      // One confirmation per ticket: a later message in the same conversation only joined the open ticket.
      if (template === 'support_confirmation' && facts.ticket_action === 'commented') {
        return { status: 'skipped', reason: `ticket #${String(facts.ticket_id)} already existed: the customer was confirmed when it was opened` };
      }
      const set = templates.get(template);
      if (!set) throw new Error(`email connector: template ${template} was not loaded`);
      const email = renderEmail(set, emailView(customer, facts, cfg.from), template);

      const res = await providerFetch(
        'email',
        `${cfg.baseUrl}/emails`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${cfg.apiKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'idempotency-key': headerKey(job.idempotencyKey),
          },
          body: JSON.stringify({ from: cfg.from, to, subject: email.subject, text: email.text, html: email.html }),
        },
        { timeoutMs: http.timeoutMs, signal, expect: [401, 403, 409] },
      );
      const json = await readProviderJson('email', res, 'POST /emails', true);
      if (!res.ok) throw resendError(res, json, cfg.apiKey); // 401, 403 or 409: the ones read here
      const id = (json as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || !id) {
        throw new ProviderError('email', 'protocol', `email POST /emails → HTTP ${res.status} without an email id: check RESEND_BASE_URL`);
      }
      return { status: 'done', result: { email_id: id, template }, note: `Email "${email.subject}" sent` };
    },
  };
}

/** A 401/403/409 answer → the ProviderError that says what it means for this job and this connector. */
function resendError(res: ProviderResponse, json: unknown, apiKey: string): ProviderError {
  const body = (json && typeof json === 'object' ? json : {}) as { name?: unknown; message?: unknown };
  const name = typeof body.name === 'string' ? body.name.slice(0, 60) : '';
  const detail = describe(name, body.message, apiKey);
  const status = res.status;
  const where = `email POST /emails → HTTP ${status}`;
  if (status === 401 || status === 403) {
    const domain = status === 403 && name === 'validation_error';
    const variable = domain ? 'EMAIL_FROM' : 'RESEND_API_KEY';
    const fix = domain ? 'verify the sending domain of EMAIL_FROM in Resend' : 'check RESEND_API_KEY';
    return new ProviderError('email', 'http', `${where}${detail}; ${fix}`, { httpStatus: status, halt: { reason: 'credentials', variable } });
  }
  if (name === 'invalid_idempotent_request') {
    return new ProviderError(
      'email',
      'protocol',
      `${where}${detail}; Resend already holds a different email under this Idempotency-Key (template or address changed since the first attempt), so it was most likely sent already`,
      { httpStatus: status },
    );
  }
  // concurrent_idempotent_requests, or any other conflict: retryable by the policy table.
  return new ProviderError('email', 'http', `${where}${detail}`, { httpStatus: status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) });
}

/** " (name): message", one line, ≤200 chars, never containing the API key. */
function describe(name: string, message: unknown, apiKey: string): string {
  let msg = typeof message === 'string' ? message.replace(/\s+/g, ' ').trim() : '';
  if (apiKey.length >= 4) msg = msg.split(apiKey).join('[redacted]');
  if (msg.length > 200) msg = `${msg.slice(0, 200)}…`;
  return `${name ? ` (${name})` : ''}${msg ? `: ${msg}` : ''}`;
}

/**
 * The job key as an Idempotency-Key header: as is when it is printable ASCII of ≤256 chars (readable in
 * Resend's logs), else `h_<sha256>` of it. Deterministic, so every retry of a job sends the same key.
 */
export function headerKey(key: string): string {
  if (key.length >= 1 && key.length <= KEY_MAX && /^[\x21-\x7e]+$/.test(key)) return key;
  return `h_${createHash('sha256').update(key).digest('hex')}`;
}

function parsePayload(payload: Record<string, unknown>): { template: EmailTemplateName; facts: EmailFacts; to: string[] } {
  const template = payload.template;
  if (typeof template !== 'string' || !(EMAIL_TEMPLATES as readonly string[]).includes(template)) {
    throw new Error(`email connector: payload.template must be one of ${EMAIL_TEMPLATES.join(', ')} (got ${JSON.stringify(template)})`);
  }
  const facts = payload.facts;
  if (facts !== undefined && (facts === null || typeof facts !== 'object' || Array.isArray(facts))) {
    throw new Error('email connector: payload.facts must be an object');
  }
  const to = payload.to;
  if (to !== undefined && (!Array.isArray(to) || !to.every((a) => typeof a === 'string' && a.includes('@')))) {
    throw new Error('email connector: payload.to must be a list of addresses');
  }
  return { template: template as EmailTemplateName, facts: (facts ?? {}) as EmailFacts, to: (to ?? []) as string[] };
}
