import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppDeps, Env } from '../http/context.js';
import { ErrorPage, FORM_LIMIT_BYTES, handle, isHttps, localPath, originAllowed, readForm, render, signedPost } from './guard.js';
import { COOKIE_NAME, findSession, openSession, revokeSession, SESSION_TTL_MS } from './session.js';
import { clientAddress, LoginThrottle } from './login-throttle.js';
import { Document } from './ui/layout.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

function LoginPage(props: { next: string; error?: string }) {
  return (
    <Document title="Log in">
      <main id="main" class="login">
        <h1>Handoff</h1>
        {props.error ? (
          <p class="error" role="alert" id="login-error">
            {props.error}
          </p>
        ) : (
          <></>
        )}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={props.next} />
          <label for="token">Admin token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            aria-describedby={props.error ? 'login-error token-help' : 'token-help'}
          />
          <p class="muted" id="token-help">
            The value of <code>HANDOFF_ADMIN_TOKEN</code> (printed at start-up in development).
          </p>
          <button class="primary" type="submit">
            Log in
          </button>
        </form>
      </main>
    </Document>
  );
}

/**
 * GET/POST /login and POST /logout. Login needs only the `token` field (the admin token, compared in
 * constant time); success opens a server-side session and sets an HttpOnly, SameSite=Strict cookie
 * (Secure over HTTPS). Failures answer 401 with the form again and are logged without the token; too many from one
 * address answer 429 with Retry-After (login-throttle.ts).
 */
export function authRoutes(app: Hono<Env>, deps: AppDeps): void {
  const expected = deps.config.adminToken ? digest(deps.config.adminToken) : undefined;
  const throttle = new LoginThrottle(deps.clock);
  const tooLarge = bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: (c) => render(c, 413, <ErrorPage status={413} message="form too large" />) });

  app.get('/login', (c) =>
    handle(c, deps, async () => {
      const next = localPath(c.req.query('next'), '/');
      if (await findSession(deps.db, deps.clock, deps.config.adminToken, getCookie(c, COOKIE_NAME))) return c.redirect(next, 303);
      return render(c, 200, <LoginPage next={next} />);
    }),
  );

  app.post('/login', tooLarge, (c) =>
    handle(c, deps, async () => {
      const log = c.get('log') as AppDeps['logger'];
      if (!originAllowed(c)) {
        log.warn('dashboard login refused: cross-site');
        return render(c, 403, <ErrorPage status={403} message="log in from the dashboard's own login page" />);
      }
      const form = await readForm(c);
      const next = localPath(form.next, '/');
      const token = typeof form.token === 'string' ? form.token : '';
      if (!expected) {
        return render(c, 401, <LoginPage next={next} error="No admin token is configured: set HANDOFF_ADMIN_TOKEN and restart." />);
      }
      const address = clientAddress(c);
      const waitMs = throttle.retryAfterMs(address);
      if (waitMs !== undefined) {
        // Checked before the token: while an address is refused, even the right token tells it nothing.
        const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
        log.warn({ address }, 'dashboard login refused: too many wrong tokens from this address');
        c.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
        return render(c, 429, <LoginPage next={next} error={`Too many wrong tokens from this address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`} />);
      }
      if (!token || !timingSafeEqual(digest(token), expected)) {
        throttle.fail(address);
        log.warn('dashboard login failed: wrong admin token');
        return render(c, 401, <LoginPage next={next} error="That is not the admin token." />);
      }
      throttle.succeed(address);
      const session = await openSession(deps.db, deps.clock, deps.ids, deps.config.adminToken!);
      setSessionCookie(c, session.id);
      log.info('dashboard login');
      return c.redirect(next, 303);
    }),
  );

  app.post('/logout', tooLarge, (c) =>
    handle(c, deps, async () => {
      const s = await signedPost(c, deps);
      if (s instanceof Response) return s;
      await revokeSession(deps.db, deps.clock, s.session);
      deleteCookie(c, COOKIE_NAME, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
      (c.get('log') as AppDeps['logger']).info('dashboard logout');
      return c.redirect('/login', 303);
    }),
  );
}

function setSessionCookie(c: Context, id: string): void {
  setCookie(c, COOKIE_NAME, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}
