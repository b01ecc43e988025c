import { randomUUID } from 'node:crypto';
import { canonicalJson, startEmulatorServer, type EmulatorServer, type RecordedRequest, type Reply } from './server.js';

/**
 * Resend emulator (https://resend.com/docs/api-reference): a real HTTP server on 127.0.0.1.
 *
 * Routes: POST /emails → 200 `{"id":"<uuid>"}` and the email is stored in `emails`; GET /emails/:id →
 * the stored email (Resend's retrieve shape: object, id, from, to, subject, text, html, created_at).
 * Anything else → 404 not_found. Every request needs `Authorization: Bearer <key>`: none → 401
 * missing_api_key, another key → 403 invalid_api_key. Errors are Resend's JSON
 * `{"statusCode":…,"name":…,"message":…}`.
 *
 * Validation (422): from, to (a string or 1–50 strings), subject and at least one of html/text are
 * required (missing_required_field); every address must look like one (validation_error). `from` may
 * be `Name <addr>`.
 *
 * Idempotency-Key (1–256 chars, else 400 invalid_idempotency_key): the first request under a key is
 * stored with its payload; the same key with the same payload answers the FIRST email's id again and
 * stores nothing (no second email); the same key with a different payload → 409 invalid_idempotent_request.
 * Keys never expire here (Resend: 24 h). Resend's 409 concurrent_idempotent_requests (same key while the
 * first is in flight) cannot happen in a synchronous emulator: inject it with `faults.push({status: 409})`,
 * whose default body is exactly that error. Not emulated: the ~2 req/s rate limit (inject 429 with
 * `retryAfter` instead).
 *
 * `emails` is what "would have been sent", in order: the sandbox can show it as is.
 */
export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  idempotencyKey?: string;
  createdAt: string;
}

export interface ResendEmulator extends EmulatorServer {
  apiKey: string;
  emails: SentEmail[];
  /** Emails sent to `address` (case-insensitive). */
  sentTo(address: string): SentEmail[];
}

export const RESEND_TEST_KEY = 're_emulator_0123456789abcdefghijklmnop';

const FAULT_BODIES: Record<number, { name: string; message: string }> = {
  400: { name: 'invalid_idempotency_key', message: 'The key must be between 1-256 chars.' },
  401: { name: 'missing_api_key', message: 'Missing API key in the authorization header.' },
  403: { name: 'invalid_api_key', message: 'API key is invalid.' },
  404: { name: 'not_found', message: 'The requested endpoint does not exist.' },
  409: { name: 'concurrent_idempotent_requests', message: 'Same idempotency key used while original request is still in progress.' },
  422: { name: 'validation_error', message: 'Invalid `to` field.' },
  429: { name: 'rate_limit_exceeded', message: 'Too many requests. You can only make 2 requests per second.' },
  500: { name: 'application_error', message: 'An unexpected error occurred, please try again later.' },
};

const err = (statusCode: number, name: string, message: string): Reply => ({ status: statusCode, body: { statusCode, name, message } });
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** `Name <a@b.co>` or `a@b.co` → the address, else undefined. */
function addressOf(value: string): string | undefined {
  const m = /<([^>]+)>\s*$/.exec(value);
  const a = (m ? m[1]! : value).trim();
  return ADDRESS.test(a) ? a : undefined;
}


function header(req: RecordedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A sending domain of the emulated account, as `GET /domains` lists it. */
export interface ResendDomain {
  name: string;
  status: 'verified' | 'pending' | 'not_started' | 'failed' | 'temporary_failure';
}

export async function startResendEmulator(opts: { apiKey?: string; domains?: ResendDomain[] } = {}): Promise<ResendEmulator> {
  const apiKey = opts.apiKey ?? RESEND_TEST_KEY;
  const domains = opts.domains ?? [];
  const emails: SentEmail[] = [];
  const keys = new Map<string, { fingerprint: string; id: string }>();

  function send(req: RecordedRequest): Reply {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return err(422, 'validation_error', 'The request body is missing or is not JSON.');
    const b = body as Record<string, unknown>;
    for (const field of ['from', 'to', 'subject'] as const) {
      if (b[field] === undefined || b[field] === '') return err(422, 'missing_required_field', `Missing \`${field}\` field.`);
    }
    if (typeof b.html !== 'string' && typeof b.text !== 'string') return err(422, 'missing_required_field', 'Missing `html` or `text` field.');
    if (typeof b.from !== 'string' || !addressOf(b.from)) return err(422, 'validation_error', 'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.');
    const to = typeof b.to === 'string' ? [b.to] : b.to;
    if (!Array.isArray(to) || to.length < 1 || to.length > 50 || !to.every((a) => typeof a === 'string' && addressOf(a))) {
      return err(422, 'validation_error', 'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.');
    }
    if (typeof b.subject !== 'string') return err(422, 'validation_error', 'Invalid `subject` field.');

    const key = header(req, 'idempotency-key');
    if (key !== undefined && (key.length < 1 || key.length > 256)) return err(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
    const fingerprint = canonicalJson(b);
    if (key !== undefined) {
      const seen = keys.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return err(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload. Change your idempotency key or payload.');
      }
      if (seen) return { status: 200, body: { id: seen.id } };
    }
    const id = randomUUID();
    if (key !== undefined) keys.set(key, { fingerprint, id });
    emails.push({
      id,
      from: b.from,
      to: to as string[],
      subject: b.subject,
      ...(typeof b.text === 'string' ? { text: b.text } : {}),
      ...(typeof b.html === 'string' ? { html: b.html } : {}),
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      createdAt: new Date().toISOString(),
    });
    return { status: 200, body: { id } };
  }

  const server = await startEmulatorServer({
    handle(req) {
      const auth = header(req, 'authorization');
      if (!auth || !/^Bearer\s+\S/.test(auth)) return err(401, 'missing_api_key', 'Missing API key in the authorization header.');
      if (auth.replace(/^Bearer\s+/, '') !== apiKey) return err(403, 'invalid_api_key', 'API key is invalid.');
      const path = req.path.split('?')[0]!;
      if (req.method === 'POST' && path === '/emails') return send(req);
      if (req.method === 'GET' && path === '/domains') {
        const data = domains.map((d, i) => ({ id: `dom_${i + 1}`, name: d.name, status: d.status, created_at: '2026-01-01T00:00:00.000Z', region: 'us-east-1' }));
        return { status: 200, body: { object: 'list', has_more: false, data } };
      }
      const one = /^\/emails\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && one) {
        const e = emails.find((x) => x.id === decodeURIComponent(one[1]!));
        if (!e) return err(404, 'not_found', 'Email not found.');
        return {
          status: 200,
          body: { object: 'email', id: e.id, from: e.from, to: e.to, subject: e.subject, text: e.text ?? null, html: e.html ?? null, created_at: e.createdAt, last_event: 'delivered' },
        };
      }
      return err(404, 'not_found', 'The requested endpoint does not exist.');
    },
    faultBody: (status) => {
      const f = FAULT_BODIES[status] ?? { name: status >= 500 ? 'application_error' : 'validation_error', message: `HTTP ${status}` };
      return { body: JSON.stringify({ statusCode: status, ...f }), contentType: 'application/json; charset=utf-8' };
    },
  });
  return {
    ...server,
    apiKey,
    emails,
    sentTo: (address) => emails.filter((e) => e.to.some((t) => addressOf(t)?.toLowerCase() === address.toLowerCase())),
  };
}
