import http from 'node:http';
import https from 'node:https';
import { ProviderError } from '../errors.js';

/**
 * The one way a connector talks HTTP to a provider: node:http / node:https over keep-alive agents (no
 * library). Not the global fetch: its WHATWG streams cost ~4× the CPU per call (measured with the Slack
 * emulator: 746 vs 164 µs per POST, client and server together), and a dispatcher is mostly calls.
 *
 * Invariants:
 * - Resolves only with a 2xx Response (or a status the caller listed in `expect`), body already
 *   buffered: the timeout covers the whole exchange, so a provider that stalls mid-body is a
 *   timeout, never a hung worker.
 * - Everything else is thrown as ProviderError:
 *     'http'     non-2xx: httpStatus, retryAfterMs (from Retry-After) and a ≤200-char message from the body;
 *     'network'  connection refused/reset, socket hang up, DNS failure;
 *     'timeout'  timeoutMs elapsed or the caller's signal aborted (shutdown, lost lease);
 *     'protocol' the request could not even be built (invalid URL or header): retrying cannot help.
 * - Whether any of these is retried is NOT decided here (dispatcher/retry-policy.ts owns that).
 * - Messages never contain request headers, the Authorization credential or the request URL
 *   (a Slack webhook URL is itself the secret); they are redacted even if a provider echoes them.
 * - Redirects are not followed: a provider API that redirects means a misconfigured base URL, and
 *   following it could hand the credential to another host. A 3xx surfaces as kind 'http'.
 */
export interface ProviderFetchOptions {
  /** Budget for the whole exchange (connect, headers, body). Callers pass AppConfig.http.timeoutMs. */
  timeoutMs: number;
  /** The caller's signal; aborting it ends the request as kind 'timeout'. */
  signal?: AbortSignal;
  /** Non-2xx statuses the caller handles itself (e.g. HubSpot 404 → create); returned, not thrown. */
  expect?: readonly number[];
  /** Clock for Retry-After HTTP dates (ms since epoch). Default Date.now. */
  now?: () => number;
}

const MESSAGE_MAX = 200;
/** Error codes that mean "too slow" rather than "broken" (our own budget aborts; these come from the OS). */
const TIMEOUT_CODES = new Set(['ETIMEDOUT']);

/**
 * A provider's answer with its body already buffered: the part of fetch's Response that connectors read (a fetch
 * Response satisfies it too). Built directly rather than as a WHATWG Response: wrapping a buffered body in a
 * ReadableStream, and the Headers object, cost a fifth of a dispatcher's CPU per Slack call.
 */
export interface ProviderResponse {
  readonly status: number;
  readonly statusText: string;
  /** 2xx. */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export async function providerFetch(
  provider: string,
  url: string,
  init: RequestInit,
  opts: ProviderFetchOptions,
): Promise<ProviderResponse> {
  const method = (init.method ?? 'GET').toUpperCase();
  const secrets = secretsOf(url, init.headers);
  // The budget and the caller's signal end the exchange by destroying its request (no AbortController per call).
  const ended: { why?: 'timeout' | 'aborted'; stop?: (err: Error) => void } = {};
  const end = (why: 'timeout' | 'aborted') => {
    ended.why ??= why;
    ended.stop?.(Object.assign(new Error(`provider call ${why}`), { code: 'ABORT_ERR' }));
  };
  const timer = setTimeout(() => end('timeout'), opts.timeoutMs);
  const onAbort = () => end('aborted');
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  let res: Exchange;
  try {
    if (ended.why) throw new Error('aborted before sending');
    res = await exchange(url, method, init, ended);
  } catch (err) {
    if (ended.why) {
      const why = ended.why === 'timeout' ? `timed out after ${opts.timeoutMs} ms` : 'aborted by the caller';
      throw new ProviderError(provider, 'timeout', `${provider} ${method}: ${why}`);
    }
    throw classifyFailure(provider, method, err, secrets);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }

  if ((res.status >= 200 && res.status < 300) || opts.expect?.includes(res.status)) return answer(res);
  const detail = redact(summarise(res.body.toString('utf8')), secrets) || res.statusText;
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirect not followed: check the base URL)' : '';
  throw new ProviderError(provider, 'http', `${provider} ${method} → HTTP ${res.status}${redirect}${detail ? `: ${detail}` : ''}`, {
    httpStatus: res.status,
    retryAfterMs: parseRetryAfter(headerOf(res.headers, 'retry-after'), (opts.now ?? Date.now)()),
  });
}

interface Exchange {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A header as fetch's Headers.get gives it: case-insensitive, repeated values joined by ", ", null when absent. */
function headerOf(headers: http.IncomingHttpHeaders, name: string): string | null {
  const v = headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

function answer(res: Exchange): ProviderResponse {
  // 204/205/304 carry no body, as fetch's null body: text() is ''.
  const text = res.status === 204 || res.status === 205 || res.status === 304 ? '' : res.body.toString('utf8');
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.status >= 200 && res.status < 300,
    headers: { get: (name) => headerOf(res.headers, name) },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown, // a SyntaxError for a body that is not JSON, as fetch's json()
  };
}

/**
 * Idle keep-alive sockets are closed after 4 s, or sooner when the provider's Keep-Alive header says so (Node's
 * agent takes the smaller): a socket the server has just closed would fail the next call with ECONNRESET.
 */
const AGENT_OPTIONS = { keepAlive: true, timeout: 4_000 } as const;
const agents = { 'http:': new http.Agent(AGENT_OPTIONS), 'https:': new https.Agent(AGENT_OPTIONS) };

/**
 * One request, the whole answer buffered. Redirects are never followed (node:http does not). `ended.stop` is set
 * while the request runs: calling it destroys the request (the caller's budget or signal), which rejects.
 */
function exchange(url: string, method: string, init: RequestInit, ended: { stop?: (err: Error) => void }): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const target = new URL(url); // throws ERR_INVALID_URL: never sent
    const agent = target.protocol === 'http:' || target.protocol === 'https:' ? agents[target.protocol] : undefined;
    if (!agent) throw Object.assign(new TypeError(`unsupported protocol ${target.protocol}`), { code: 'ERR_INVALID_PROTOCOL' });
    const payload = requestBody(init.body);
    const headers: Record<string, string> = { 'user-agent': 'handoff', ...plainHeaders(init.headers) };
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    const req = (target.protocol === 'https:' ? https : http).request(target, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('the provider closed the connection mid-answer'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        ended.stop = undefined;
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
      });
    });
    ended.stop = (err) => {
      ended.stop = undefined;
      req.destroy(err);
      reject(err);
    };
    req.on('error', reject);
    req.end(payload);
  });
}

/** Connectors send strings (JSON) or bytes; anything else is a programming error, never sent. */
function requestBody(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('request body must be a string or bytes');
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const entries: Iterable<readonly [string, string | readonly string[]]> =
    headers instanceof Headers ? headers.entries() : Array.isArray(headers) ? (headers as [string, string][]) : Object.entries(headers);
  for (const [k, v] of entries) out[k.toLowerCase()] = typeof v === 'string' ? v : v.join(', ');
  return out;
}

/**
 * Retry-After → milliseconds from `now`, or undefined when absent or unparseable.
 * Accepts delta-seconds ("120", leniently "1.5") and HTTP dates ("Wed, 21 Oct 2015 07:28:00 GMT");
 * a date in the past gives 0. No cap here: the retry policy clamps.
 */
export function parseRetryAfter(value: string | null | undefined, now: number | Date = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // All three HTTP-date forms start with a weekday name and hold hh:mm:ss; checking that keeps V8's
  // lenient Date.parse from reading junk like "soon 2" as a date.
  if (!/^[A-Za-z]{3,9},?\s.*\d{1,2}:\d{2}:\d{2}/.test(v)) return undefined;
  // HTTP dates are always GMT; asctime form carries no zone and would otherwise parse as local time.
  const at = Date.parse(/\b(GMT|UTC)\b|[+-]\d{4}$/.test(v) ? v : `${v} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - (typeof now === 'number' ? now : now.getTime()));
}

function classifyFailure(provider: string, method: string, err: unknown, secrets: string[]): ProviderError {
  const code = errorCode(err);
  // Node's own validation codes (ERR_INVALID_URL, …) mean the request was never sent: see below.
  if (code && !code.startsWith('ERR_')) {
    const kind = TIMEOUT_CODES.has(code) ? 'timeout' : 'network';
    return new ProviderError(provider, kind, `${provider} ${method}: ${kind} error (${code})`, { cause: err });
  }
  // Thrown before any byte was sent (invalid URL, invalid header value). Its message can quote the
  // URL or a header, so only a redacted copy is kept and the original is not attached.
  const msg = err instanceof Error ? redact(err.message, secrets) : String(err);
  return new ProviderError(provider, 'protocol', `${provider} ${method}: request could not be sent: ${msg}`);
}

/** The first `code` (ECONNRESET, ECONNREFUSED, ENOTFOUND, …) along the cause chain. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
  }
  return undefined;
}

/** A short human message from an error body: JSON `message`-like fields if present, else the text. */
function summarise(text: string): string {
  let main = text;
  let tag = '';
  try {
    const j: unknown = JSON.parse(text);
    if (j && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      const m = [o.message, o.description, o.error_description, o.error, o.name].find((v) => typeof v === 'string');
      const t = [o.policyName, o.category, o.errorType].find((v) => typeof v === 'string');
      if (typeof m === 'string') main = m;
      if (typeof t === 'string') tag = ` (${t.slice(0, 40)})`; // kept whole: DAILY vs TEN_SECONDLY matters
    }
  } catch {
    // not JSON: plain-text bodies (Slack) are used as they are
  }
  // eslint-disable-next-line no-control-regex
  main = main.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const room = MESSAGE_MAX - tag.length;
  return (main.length > room ? `${main.slice(0, room)}…` : main) + tag;
}

/** Values that must never appear in a message: the credential (with and without scheme) and the URL. */
function secretsOf(url: string, headers: RequestInit['headers']): string[] {
  const out = [url];
  const auth = authorizationOf(headers);
  if (auth) {
    // The whole value, and each credential-sized part of it (an invalid value may be quoted in pieces).
    out.push(auth, ...auth.split(/\s+/).filter((part) => part.length >= 8));
  }
  return out.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Read without `new Headers()`, which throws on the very invalid values we must still redact. */
function authorizationOf(headers: RequestInit['headers']): string | undefined {
  if (!headers) return undefined;
  const entries: Iterable<readonly [string, string | readonly string[]]> =
    headers instanceof Headers ? headers.entries() : Array.isArray(headers) ? (headers as [string, string][]) : Object.entries(headers);
  for (const [k, v] of entries) if (k.toLowerCase() === 'authorization') return typeof v === 'string' ? v : v.join(', ');
  return undefined;
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * A provider's JSON answer: null for an empty body; a body that is not JSON is the provider breaking its
 * contract — a ProviderError 'protocol' (never retried), or null when `lenient` (the caller only wants hints
 * from an error body).
 */
export async function readProviderJson(provider: string, res: ProviderResponse, method: string, lenient = false): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    if (lenient) return null;
    throw new ProviderError(provider, 'protocol', `${provider} ${method} → HTTP ${res.status} with a body that is not JSON`);
  }
}
