/**
 * The typed error hierarchy and its ONE mapping to HTTP.
 * Messages say what to fix; they never carry a secret, a signature or a request body.
 */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_signature'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unprocessable'
  | 'config_invalid'
  | 'provider_error'
  | 'internal';

export class HandoffError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, status: number, message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = opts.details;
  }
}

/** Bad input from outside (malformed JSON, failed validation). Always 4xx, never retried by the sender's fault. */
export class BadRequestError extends HandoffError {
  constructor(message: string, details?: unknown) {
    super('bad_request', 400, message, { details });
  }
}

/** A webhook whose signature is missing, malformed, stale or wrong. Nothing was written. */
export class SignatureError extends HandoffError {
  constructor(message: string, cause?: unknown) {
    super('invalid_signature', 400, message, { cause });
  }
}

export class UnauthorizedError extends HandoffError {
  constructor(message = 'missing or invalid credentials: send Authorization: Bearer <key>') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends HandoffError {
  constructor(message: string) {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends HandoffError {
  constructor(message: string) {
    super('not_found', 404, message);
  }
}

export class PayloadTooLargeError extends HandoffError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `request body exceeds ${limitBytes} bytes`);
  }
}

/** Configuration is invalid; `problems` lists every missing or invalid variable at once. */
export class ConfigError extends HandoffError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', 500, `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Handoff cannot start for a reason the operator can fix (port taken, database owned by another
 * process). The CLI prints the message alone: it says what to do, a stack trace would not.
 */
export class StartupError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
  }
}

/**
 * A failure that belongs to the CONNECTOR, not to one job: the dispatcher stops calling the provider
 * (its jobs wait, uncounted), records why in connector_state, and logs and alerts naming `variable`:
 * - `credentials`: 401/403 from the provider's auth → paused; one probe job per CIRCUIT_COOLDOWN_MS
 *   resumes delivery once the credential works again (replaced and the process restarted).
 * - `quota`: a daily quota is spent (HubSpot 429 policyName DAILY) → paused until `until` (the reset).
 * - `gone`: 410 from an outbound endpoint → disabled until the connector is reconfigured.
 */
export type ConnectorHalt = { reason: 'credentials' | 'gone'; variable: string } | { reason: 'quota'; until: Date; variable?: undefined };

/**
 * A provider call failed. `retryable` and `retryAfterMs` are decided by the retry policy table
 * (dispatcher/retry-policy.ts) from the status or network error kind, never ad hoc in a connector.
 */
export class ProviderError extends HandoffError {
  readonly provider: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly kind: 'http' | 'network' | 'timeout' | 'protocol';
  /** Set when the failure belongs to the CONNECTOR, not to this job (see ConnectorHalt). */
  readonly halt?: ConnectorHalt;
  constructor(
    provider: string,
    kind: 'http' | 'network' | 'timeout' | 'protocol',
    message: string,
    opts: { httpStatus?: number; retryAfterMs?: number; cause?: unknown; halt?: ConnectorHalt } = {},
  ) {
    super('provider_error', 502, message, { cause: opts.cause });
    this.provider = provider;
    this.kind = kind;
    this.httpStatus = opts.httpStatus;
    this.retryAfterMs = opts.retryAfterMs;
    this.halt = opts.halt;
  }
}

/** The one mapping from any thrown value to an HTTP status and a short JSON body. */
export function toHttp(err: unknown): { status: number; body: { error: string; message: string; details?: unknown } } {
  if (err instanceof HandoffError && err.status < 500) {
    return { status: err.status, body: { error: err.code, message: err.message, details: err.details } };
  }
  // Nothing was written (the transaction never committed): the sender should retry, as Stripe and Svix do.
  if (databaseUnavailable(err)) {
    return { status: 503, body: { error: 'unavailable', message: 'the database is unavailable; nothing was recorded, retry later' } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; see the server log (request id in x-request-id)' } };
}

/** Seconds a sender should wait after a 503 (the Retry-After header). */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, cannot connect now).
const UNAVAILABLE_SQLSTATE = /^(08|57P)/;
const UNAVAILABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when the database could not be reached or dropped the session (server restart, killed backend,
 * network): a temporary condition, answered 503 + Retry-After instead of 500. Statement errors are not.
 */
export function databaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NETWORK.has(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    // node-postgres reports a lost or unobtainable connection by message only.
    if (/^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message)) return true;
  }
  return false;
}
