import { timingSafeEqual, createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql } from '../db/index.js';
import { ForbiddenError, PayloadTooLargeError, UnauthorizedError } from '../errors.js';
import { bearerToken, hashApiKey, type Scope } from '../ingest/index.js';
import { unreadable } from './body.js';
import type { AppDeps, Env } from './context.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id (incoming x-request-id if sane, else new) on every log line of the request, and one access line. */
export function requestContext(deps: AppDeps): MiddlewareHandler<Env> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : deps.ids.uuid();
    const log = deps.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  };
}

/**
 * Bodies over the limit are refused with 413 before they are read into memory. A chunked body is read
 * here: one the client abandons half-way is its 400 (see readBodyText), not a 500.
 * A body with a Content-Length (every provider sends one) is judged by the header alone, as Hono's bodyLimit
 * does, but without touching `req.body`: that getter turns the Node request into a web stream and costs the
 * route @hono/node-server's direct read (measured: a fifth of a webhook's CPU). Node's parser never delivers
 * more than Content-Length bytes.
 */
export function limitBody(limitBytes: number): MiddlewareHandler<Env> {
  const limit = bodyLimit({
    maxSize: limitBytes,
    onError: () => {
      throw new PayloadTooLargeError(limitBytes);
    },
  });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > limitBytes) throw new PayloadTooLargeError(limitBytes);
      return next();
    }
    let reached = false; // errors from the route itself are not the body's
    try {
      return await limit(c, () => ((reached = true), next()));
    } catch (err) {
      throw reached ? err : unreadable(err);
    }
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Admin routes: `Authorization: Bearer <HANDOFF_ADMIN_TOKEN>`, compared in constant time. */
export function requireAdmin(deps: AppDeps): MiddlewareHandler<Env> {
  const expected = deps.config.adminToken ? digest(deps.config.adminToken) : undefined;
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!expected || !token || !timingSafeEqual(digest(token), expected)) throw new UnauthorizedError('admin token required: Authorization: Bearer <HANDOFF_ADMIN_TOKEN>');
    await next();
  };
}

/** API-key routes: the key's SHA-256 must match a live key that carries `scope`. */
export function requireScope(deps: AppDeps, scope: Scope): MiddlewareHandler<Env> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new UnauthorizedError();
    const { rows } = await deps.db.query<{ id: string; scopes: string[] }>(sql.findApiKey, [hashApiKey(token)]);
    const key = rows[0];
    if (!key) throw new UnauthorizedError('unknown or revoked API key');
    if (!key.scopes.includes(scope)) throw new ForbiddenError(`this API key lacks the ${scope} scope`);
    await next();
  };
}
