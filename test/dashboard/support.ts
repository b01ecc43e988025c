import type { Hono } from 'hono';
import { ADMIN_TOKEN } from '../support/app.js';

/** A dashboard session obtained through the real login form: its cookie header and CSRF token. */
export interface Login {
  cookie: string;
  csrf: string;
  setCookie: string;
}

type App = Pick<Hono, 'request'>;

export const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
});

/** The session cookie's `name=value` from a Set-Cookie header. */
export function sessionCookie(setCookie: string | null): string {
  const m = /(?:^|,\s*)(handoff_session=[^;]*)/.exec(setCookie ?? '');
  if (!m) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return m[1]!;
}

export function csrfFrom(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

export async function login(app: App, token = ADMIN_TOKEN, url = 'http://localhost/login'): Promise<Login> {
  const res = await app.request(url, form({ token }));
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = sessionCookie(setCookie);
  const page = await app.request('/', { headers: { cookie } });
  return { cookie, csrf: csrfFrom(await page.text()), setCookie };
}
