import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { BadRequestError, HandoffError } from '../errors.js';
import type { AppDeps } from '../http/context.js';
import { checkCsrf, COOKIE_NAME, findSession, type Session } from './session.js';
import { Document, type PageCtx } from './ui/layout.js';
import { href } from './ui/parts.js';
import { STYLES_HASH } from './ui/styles.js';

/** Forms are a few fields; anything larger is refused before it is read. */
export const FORM_LIMIT_BYTES = 16 * 1024;

const CSP = [
  "default-src 'none'",
  `style-src '${STYLES_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Every dashboard response: strict CSP (no scripts, only our stylesheet), no framing, no caching, no referrer to other sites (same-origin: a no-referrer policy would make browsers send `Origin: null` on our own form posts). */
export async function render(c: Context, status: number, node: JSX.Element): Promise<Response> {
  c.header('content-security-policy', CSP);
  c.header('x-frame-options', 'DENY');
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'same-origin');
  c.header('cache-control', 'no-store');
  return c.html(`<!doctype html>${await node}`, status as 200);
}

export function ErrorPage(props: { status: number; message: string }) {
  const title = props.status === 404 ? 'Not found' : props.status === 403 ? 'Forbidden' : props.status >= 500 ? 'Something went wrong' : 'Cannot do that';
  return (
    <Document title={title}>
      <main id="main" class="login">
        <h1>{title}</h1>
        <p class="error" role="alert">
          {props.message}
        </p>
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </main>
    </Document>
  );
}

/**
 * Runs a page or action; a 4xx HandoffError (bad filter, unknown job, job not dead…) becomes an HTML page
 * with its status and message; anything else is logged and shown as a 500 naming the request id.
 */
export async function handle(c: Context, deps: AppDeps, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HandoffError && err.status < 500) return render(c, err.status, <ErrorPage status={err.status} message={err.message} />);
    const log = (c.get('log') as AppDeps['logger'] | undefined) ?? deps.logger;
    log.error({ err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } }, 'dashboard request failed');
    return render(c, 500, <ErrorPage status={500} message={`internal error; see the server log (request id ${String(c.get('requestId') ?? '')})`} />);
  }
}

/** A local path to come back to (after login, after an action); anything else falls back to `fallback`. */
export function localPath(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || raw.length > 2000) return fallback;
  // One leading slash, no scheme-relative //host or /\host, no control characters or spaces.
  if (!/^\/(?![/\\])[^\s\\\u0000-\u001f\u007f]*$/.test(raw)) return fallback;
  if (raw === '/login' || raw.startsWith('/login?') || raw === '/logout') return fallback;
  return raw;
}

/** True when the request came over HTTPS (directly, or via a proxy that says so). */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * A state-changing request from a browser must come from this site: `Origin`, when sent, names our host
 * (and our scheme, or https behind a TLS proxy); `Sec-Fetch-Site: cross-site` is refused. Clients that
 * send neither (curl) are judged by the CSRF token alone (login has none: it needs the admin token).
 */
export function originAllowed(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, some redirects) and garbage
  }
  const url = new URL(c.req.url);
  if (o.host !== (c.req.header('host') ?? url.host)) return false;
  return o.protocol === url.protocol || (o.protocol === 'https:' && isHttps(c));
}

export interface Signed {
  session: Session;
  ctx: PageCtx;
}

/** The request's live session, or a 303 to /login (GET pages come back here after login). */
export async function signedIn(c: Context, deps: AppDeps): Promise<Signed | Response> {
  const session = await findSession(deps.db, deps.clock, deps.config.adminToken, getCookie(c, COOKIE_NAME));
  if (!session) {
    const url = new URL(c.req.url);
    const next = c.req.method === 'GET' ? localPath(url.pathname + url.search, '') : '';
    return c.redirect(href('/login', { next: next && next !== '/' ? next : undefined }), 303);
  }
  return { session, ctx: { path: c.req.path, csrf: session.csrf } };
}

/**
 * A signed-in, same-origin form post carrying this session's CSRF token, or the response refusing it
 * (303 to /login without a session; 403 otherwise). Returns the parsed form fields.
 */
export async function signedPost(c: Context, deps: AppDeps): Promise<(Signed & { form: Record<string, unknown> }) | Response> {
  const s = await signedIn(c, deps);
  if (s instanceof Response) return s;
  if (!originAllowed(c)) return refuse(c, deps, 'this form was posted from another site');
  const form = await readForm(c);
  if (!checkCsrf(s.session, form.csrf)) return refuse(c, deps, 'the form is missing its security token or it has expired; reload the page and try again');
  return { ...s, form };
}

/** urlencoded or multipart fields; anything else (JSON, text) yields no fields, so the CSRF check fails. */
export async function readForm(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return {};
  try {
    return (await c.req.parseBody()) as Record<string, unknown>;
  } catch {
    // A malformed body (multipart without its boundary, broken parts) is the sender's 400, never a 500.
    throw new BadRequestError('the form could not be read');
  }
}

function refuse(c: Context, deps: AppDeps, message: string): Promise<Response> {
  ((c.get('log') as AppDeps['logger'] | undefined) ?? deps.logger).warn({ path: c.req.path }, 'dashboard form refused');
  return render(c, 403, <ErrorPage status={403} message={message} />);
}
