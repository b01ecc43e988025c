import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { settled, waitUntil } from '../support/wait.js';
import { act, actionBody } from '../chatbot/support.js';
import { csrfFrom, form, login, sessionCookie } from './support.js';
import { LOGIN_FAILURES, LOGIN_WINDOW_MS } from '../../src/dashboard/login-throttle.js';

describe.each(DB_KINDS)('dashboard routes on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeEach(async () => {
    await t.db.exec('TRUNCATE dashboard_sessions');
    offsetMs = 0;
    rt = await startTestApp(t, { clock });
  });
  afterEach(() => rt?.close());

  const sessions = async () =>
    (await t.db.query<{ id_hash: string; revoked_at: Date | null }>('SELECT id_hash, revoked_at FROM dashboard_sessions ORDER BY created_at')).rows;

  it('every page redirects to /login without a session; the API is untouched', async () => {
    for (const path of ['/', '/customers', '/customers/jane@example.com', '/events', '/events/1', '/jobs', '/review', '/alerts']) {
      const res = await rt.app.request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toMatch(/^\/login/);
    }
    const deep = await rt.app.request('/customers?q=jane&state=trial');
    expect(deep.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/customers?q=jane&state=trial')}`);
    // Actions without a session change nothing and send the browser to log in.
    const post = await rt.app.request('/jobs/1/retry', form({ csrf: 'x' }));
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/login');
    // A bogus cookie is no session.
    const bogus = await rt.app.request('/', { headers: { cookie: `handoff_session=${'A'.repeat(43)}` } });
    expect(bogus.status).toBe(303);
    // The dashboard's routes do not swallow the API: JSON as before.
    expect((await rt.app.request('/api/health')).status).toBe(200);
    const missing = await rt.app.request('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    // A mistyped page address gets a page, not JSON (and echoes nothing of the path).
    const page = await rt.app.request('/customerz/<script>');
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<a href="/">Back to the dashboard</a>');
    expect(html).not.toContain('<script>');
  });

  it('GET /login is an accessible form with only the token field', async () => {
    const res = await rt.app.request('/login');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<label for="token">');
    expect(html).toContain('name="token"');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
  });

  it('a wrong token is a 401 page, sets no cookie and stores no session; nothing is logged of the token', async () => {
    for (const token of ['', 'wrong-token-0123456789', `${ADMIN_TOKEN}x`]) {
      const res = await rt.app.request('/login', form({ token }));
      expect(res.status, token).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('That is not the admin token.');
    }
    const noField = await rt.app.request('/login', form({}));
    expect(noField.status).toBe(401);
    const json = await rt.app.request('/login', { method: 'POST', body: JSON.stringify({ token: ADMIN_TOKEN }), headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(401);
    expect(await sessions()).toEqual([]);
    expect(rt.logLines.join('\n')).not.toContain('wrong-token-0123456789');
    expect(rt.logLines.join('\n')).not.toContain(ADMIN_TOKEN);
  });

  it('after LOGIN_FAILURES wrong tokens an address is refused (429, Retry-After), the right token too, until the window has passed', async () => {
    for (let i = 0; i < LOGIN_FAILURES; i++) expect((await rt.app.request('/login', form({ token: `guess-${i}` }))).status).toBe(401);
    const refused = await rt.app.request('/login', form({ token: ADMIN_TOKEN }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(LOGIN_WINDOW_MS / 1000 - 60);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await refused.text()).toContain('Too many wrong tokens from this address. Try again in 15 minutes.');
    expect(await sessions()).toEqual([]);
    offsetMs = LOGIN_WINDOW_MS + 1_000;
    expect((await rt.app.request('/login', form({ token: ADMIN_TOKEN }))).status).toBe(303);
  });

  it('a successful login clears the address: the budget of wrong tokens starts again', async () => {
    for (let i = 0; i < LOGIN_FAILURES - 1; i++) expect((await rt.app.request('/login', form({ token: `guess-${i}` }))).status).toBe(401);
    expect((await rt.app.request('/login', form({ token: ADMIN_TOKEN }))).status).toBe(303);
    for (let i = 0; i < LOGIN_FAILURES - 1; i++) expect((await rt.app.request('/login', form({ token: `again-${i}` }))).status).toBe(401);
    expect((await rt.app.request('/login', form({ token: ADMIN_TOKEN }))).status).toBe(303);
  });

  it('login sets an HttpOnly, SameSite=Strict session cookie (Secure only over https) and stores only its hash', async () => {
    const res = await rt.app.request('/login', form({ token: ADMIN_TOKEN, next: '/jobs?status=dead' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/jobs?status=dead');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=43200/);
    expect(setCookie).not.toMatch(/Secure/);
    const value = sessionCookie(setCookie).split('=')[1]!;
    const rows = await sessions();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).toBe(createHash('sha256').update(value).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(value);
    expect(rt.logLines.join('\n')).not.toContain(value);

    const https = await rt.app.request('https://localhost/login', form({ token: ADMIN_TOKEN }));
    expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
    const proxied = await rt.app.request('/login', form({ token: ADMIN_TOKEN }, { 'x-forwarded-proto': 'https' }));
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);

    // Only local paths are followed after login.
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const r = await rt.app.request('/login', form({ token: ADMIN_TOKEN, next }));
      expect(r.headers.get('location'), next).toBe('/');
    }
  });

  it('login checks Origin when the browser sends it', async () => {
    const cross = await rt.app.request('/login', form({ token: ADMIN_TOKEN }, { origin: 'https://evil.example' }));
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    const opaque = await rt.app.request('/login', form({ token: ADMIN_TOKEN }, { origin: 'null' }));
    expect(opaque.status).toBe(403);
    const fetchSite = await rt.app.request('/login', form({ token: ADMIN_TOKEN }, { 'sec-fetch-site': 'cross-site' }));
    expect(fetchSite.status).toBe(403);
    const same = await rt.app.request('http://localhost/login', form({ token: ADMIN_TOKEN }, { origin: 'http://localhost' }));
    expect(same.status).toBe(303);
    expect(await sessions()).toHaveLength(1);
  });

  it('a state-changing form without the session CSRF token is refused with 403 and changes nothing', async () => {
    const a = await login(rt.app);
    const b = await login(rt.app);
    expect(a.csrf).not.toBe(b.csrf);
    for (const fields of [{}, { csrf: '' }, { csrf: 'forged' }, { csrf: b.csrf }] as Array<Record<string, string>>) {
      const res = await rt.app.request('/logout', form(fields, { cookie: a.cookie }));
      expect(res.status, JSON.stringify(fields)).toBe(403);
    }
    // The session is still alive after the refused logouts.
    expect((await rt.app.request('/', { headers: { cookie: a.cookie } })).status).toBe(200);
    // A correct token from another site is refused too.
    const cross = await rt.app.request('/logout', form({ csrf: a.csrf }, { cookie: a.cookie, origin: 'https://evil.example' }));
    expect(cross.status).toBe(403);
    expect((await sessions()).every((s) => s.revoked_at === null)).toBe(true);
  });

  it('logout revokes the session server-side and clears the cookie', async () => {
    const s = await login(rt.app);
    const res = await rt.app.request('/logout', form({ csrf: s.csrf }, { cookie: s.cookie, origin: 'http://localhost' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    expect(res.headers.get('set-cookie')).toMatch(/handoff_session=;.*Max-Age=0/);
    // Replaying the old cookie (a copy an attacker kept) no longer works.
    const after = await rt.app.request('/', { headers: { cookie: s.cookie } });
    expect(after.status).toBe(303);
    expect((await sessions())[0]!.revoked_at).not.toBeNull();
  });

  it('sessions expire after 12 hours, and end when the admin token is rotated', async () => {
    const s = await login(rt.app);
    offsetMs = 11 * 3_600_000;
    expect((await rt.app.request('/', { headers: { cookie: s.cookie } })).status).toBe(200);
    offsetMs = 12 * 3_600_000 + 1000;
    expect((await rt.app.request('/', { headers: { cookie: s.cookie } })).status).toBe(303);

    offsetMs = 0;
    const fresh = await login(rt.app);
    const rotated = await startTestApp(t, { env: { HANDOFF_ADMIN_TOKEN: 'a-brand-new-admin-token-0123' } });
    try {
      expect((await rotated.app.request('/', { headers: { cookie: fresh.cookie } })).status).toBe(303);
      expect((await rt.app.request('/', { headers: { cookie: fresh.cookie } })).status).toBe(200);
    } finally {
      await rotated.close();
    }
  });

  it('pages render the data, escaped; bad filters are 400 pages; unknown records 404 pages', async () => {
    const s = await login(rt.app);
    const get = (path: string) => rt.app.request(path, { headers: { cookie: s.cookie } });
    await rt.app.request(
      '/api/events',
      appEventRequest({ id: 'evt-x1', type: 'user.signed_up', customer: { email: 'jane@example.com', user_id: 'u_1', name: '<script>alert(1)</script>' } }),
    );
    await rt.app.request('/api/events', appEventRequest({ id: 'evt-x2', type: 'trial.started', customer: { email: 'jane@example.com' } }));
    await rt.app.request(
      '/api/webhooks/stripe',
      stripeRequest(stripeEvent('invoice.paid', 'invoice', { customer: 'cus_Jane123', customer_email: 'jane@example.com', amount_paid: 4900, subscription: null, parent: null })),
    );

    const home = await get('/');
    expect(home.status).toBe(200);
    const homeHtml = await home.text();
    expect(homeHtml).toContain('Customers by state');
    expect(homeHtml).toContain('Funnel');
    expect(homeHtml).toMatch(/<svg class="chart"/);

    const list = await get('/customers?q=JANE');
    const listHtml = await list.text();
    expect(listHtml).toContain('jane@example.com');
    expect(listHtml).not.toContain('<script>alert(1)</script>');
    expect(listHtml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(await (await get('/customers?q=nobody-like-this')).text()).toContain('No customer matches.');
    expect(await (await get('/customers?state=paid')).text()).toContain('jane@example.com');
    expect(await (await get('/customers?state=trial')).text()).not.toContain('jane@example.com');
    // 50%_ wildcards are literal characters in a search, not patterns.
    expect(await (await get('/customers?q=%25')).text()).toContain('No customer matches.');

    for (const ref of ['jane@example.com', 'cus_Jane123', 'u_1']) {
      const page = await get(`/customers/${encodeURIComponent(ref)}`);
      expect(page.status, ref).toBe(200);
      const html = await page.text();
      expect(html).toContain('https://dashboard.stripe.com/test/customers/cus_Jane123');
      expect(html).toMatch(/state <span class="badge s-lead">lead<\/span> → <span class="badge s-trial">trial<\/span>/);
      expect(html).toContain('stripe invoice.paid');
      expect(html).not.toContain('<script>alert(1)</script>');
    }

    const events = await get('/events?source=app');
    const eventsHtml = await events.text();
    expect(eventsHtml).toContain('evt-x1');
    expect(eventsHtml).not.toContain('invoice.paid</td>');
    const eventId = /href="\/events\/(\d+)">evt-x1</.exec(eventsHtml)![1];
    const one = await get(`/events/${eventId}`);
    const oneHtml = await one.text();
    expect(oneHtml).toContain('&quot;type&quot;: &quot;user.signed_up&quot;');
    expect(oneHtml).not.toContain('<script>alert(1)</script>');
    expect((await get('/events/app/evt-x2')).status).toBe(200);

    expect((await get('/jobs')).status).toBe(200);
    expect((await get('/review')).status).toBe(200);
    expect((await get('/alerts')).status).toBe(200);

    for (const bad of ['/events?outcome=bogus', '/jobs?status=lost', '/jobs?connector=fax', '/customers?page=0', '/jobs?before=-3', '/review?show=maybe']) {
      const res = await get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type'), bad).toMatch(/text\/html/);
    }
    expect((await get('/customers/nobody@example.com')).status).toBe(404);
    expect((await get('/events/999999')).status).toBe(404);
    expect((await get('/events/abc')).status).toBe(400);
    expect((await get('/customers/%00')).status).toBe(400);
  });

  it('events are read in bounded windows of ids: a filter that matches nothing offers the next window', async () => {
    const s = await login(rt.app);
    const get = async (path: string) => (await rt.app.request(path, { headers: { cookie: s.cookie } })).text();
    // Ids far from 1, as in an inbox with a long history: 50000-50002, so the newest window is [30003, 50003).
    await t.db.exec('ALTER TABLE inbox_events ALTER COLUMN id RESTART WITH 50000');
    for (const id of ['w-1', 'w-2', 'w-3']) {
      await rt.app.request('/api/events', appEventRequest({ id, type: 'user.signed_up', customer: { email: `${id}@example.com` } }));
    }
    const all = await get('/events');
    expect(all).toContain('w-3');
    expect(all).toContain('Searched events #30,003 to the newest');
    expect(all).toContain('href="/events?before=30003"');
    const none = await get('/events?source=stripe');
    expect(none).toContain('No event matches in this range.');
    expect(none).toContain('href="/events?source=stripe&amp;before=30003"');
    const older = await get('/events?source=stripe&before=30003');
    expect(older).toContain('Searched events #10,003 to #30,002');
    expect(older).toContain('href="/events?source=stripe&amp;before=10003"');
    const last = await get('/events?source=stripe&before=10003');
    expect(last).toContain('No event matches.');
    expect(last).not.toContain('Older →');
    // A cursor inside the data pages normally.
    const below = await get('/events?before=50002');
    expect(below).toContain('w-2');
    expect(below).toContain('w-1');
    expect(below).not.toContain('w-3');
  });

  it('a review item is approved or rejected from the page through the chatbot review service', async () => {
    const s = await login(rt.app);
    const a = await act(rt, actionBody({ conversation_id: 'conv-a', confidence: 0.3 }));
    const b = await act(rt, actionBody({ conversation_id: 'conv-b', confidence: 0.3, message: 'Please look at <b>this</b> & that' }));
    expect([a.body.decision, b.body.decision]).toEqual(['needs_review', 'needs_review']);
    const page = await (await rt.app.request('/review', { headers: { cookie: s.cookie } })).text();
    expect(page).toContain(`action="/review/${a.body.decision_id}/approve"`);
    expect(page).toContain('Please look at &lt;b&gt;this&lt;/b&gt; &amp; that');

    const forged = await rt.app.request(`/review/${a.body.decision_id}/approve`, form({ csrf: 'nope' }, { cookie: s.cookie }));
    expect(forged.status).toBe(403);
    const review = async (id: string) => (await t.db.query<{ review: string }>('SELECT review FROM chatbot_decisions WHERE id = $1', [id])).rows[0]!.review;
    expect(await review(a.body.decision_id!)).toBe('pending');

    const ok = await rt.app.request(`/review/${a.body.decision_id}/approve`, form({ csrf: s.csrf, back: '/review' }, { cookie: s.cookie }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/review?done=approved');
    expect(await review(a.body.decision_id!)).toBe('approved');
    const no = await rt.app.request(`/review/${b.body.decision_id}/reject`, form({ csrf: s.csrf, back: '/review' }, { cookie: s.cookie }));
    expect(no.headers.get('location')).toBe('/review?done=rejected');
    expect(await review(b.body.decision_id!)).toBe('rejected');
    // The opposite verdict afterwards is the service's 409, shown as a page; unknown ids are 404.
    const conflict = await rt.app.request(`/review/${a.body.decision_id}/reject`, form({ csrf: s.csrf }, { cookie: s.cookie }));
    expect(conflict.status).toBe(409);
    expect(await conflict.text()).toContain('already approved');
    expect((await rt.app.request('/review/no-such-decision/approve', form({ csrf: s.csrf }, { cookie: s.cookie }))).status).toBe(404);
    const approved = await (await rt.app.request('/review?show=approved&done=approved', { headers: { cookie: s.cookie } })).text();
    expect(approved).toContain('Approved: the action runs now.');
    expect(approved).toContain('escalate_to_support');
  });

  it('"retry all dead" for one connector queues every dead job of that connector', async () => {
    const slack: SlackEmulator = await startSlackEmulator();
    await rt.close();
    rt = await startTestApp(t, { clock, worker: true, env: { SLACK_WEBHOOK_URL: slack.url } });
    try {
      slack.faults.push({ status: 400 }, { status: 400 });
      for (const n of ['1', '2']) {
        await rt.app.request(
          '/api/webhooks/stripe',
          stripeRequest(stripeEvent('charge.refunded', 'charge', { id: `ch_all${n}`, customer: `cus_All${n}`, billing_details: { email: `all${n}@example.com` }, amount_refunded: 100 })),
        );
      }
      expect((await settled(t.db)).filter((j) => j.status === 'dead')).toHaveLength(2);
      const s = await login(rt.app);
      const page = await (await rt.app.request('/jobs', { headers: { cookie: s.cookie } })).text();
      expect(page).toContain('Retry all 2 dead slack jobs');
      const missing = await rt.app.request('/jobs/retry-dead', form({ csrf: s.csrf }, { cookie: s.cookie }));
      expect(missing.status).toBe(400);
      const bad = await rt.app.request('/jobs/retry-dead', form({ csrf: s.csrf, connector: 'fax' }, { cookie: s.cookie }));
      expect(bad.status).toBe(400);
      const res = await rt.app.request('/jobs/retry-dead', form({ csrf: s.csrf, connector: 'slack', back: '/jobs' }, { cookie: s.cookie }));
      expect(res.headers.get('location')).toBe('/jobs?done=retried&n=2');
      await waitUntil(async () => slack.messages.length === 2, 20_000, 'both Slack messages');
      expect((await settled(t.db)).filter((j) => j.connector === 'slack').map((j) => j.status)).toEqual(['done', 'done']);
    } finally {
      await slack.close();
    }
  });

  it('a dead job is retried from the page through the admin service, then delivered', async () => {
    const slack: SlackEmulator = await startSlackEmulator();
    await rt.close();
    rt = await startTestApp(t, { clock, worker: true, env: { SLACK_WEBHOOK_URL: slack.url } });
    try {
      slack.faults.push({ status: 400 });
      await rt.app.request(
        '/api/webhooks/stripe',
        stripeRequest(stripeEvent('charge.refunded', 'charge', { customer: 'cus_Refund1', billing_details: { email: 'refund@example.com' }, amount_refunded: 1000 })),
      );
      const done = await settled(t.db);
      const dead = done.find((j) => j.connector === 'slack');
      expect(dead?.status).toBe('dead');
      const s = await login(rt.app);
      const page = await (await rt.app.request('/jobs?status=dead', { headers: { cookie: s.cookie } })).text();
      expect(page).toContain(`action="/jobs/${dead!.id}/retry"`);
      expect(csrfFrom(page)).toBe(s.csrf);

      const refused = await rt.app.request(`/jobs/${dead!.id}/retry`, form({ back: '/jobs' }, { cookie: s.cookie }));
      expect(refused.status).toBe(403);
      expect((await t.db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [dead!.id])).rows[0]!.status).toBe('dead');

      const res = await rt.app.request(`/jobs/${dead!.id}/retry`, form({ csrf: s.csrf, back: '/jobs?status=dead' }, { cookie: s.cookie }));
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/jobs?status=dead&done=retried&n=1');
      await waitUntil(async () => slack.messages.length === 1, 20_000, 'the Slack message');
      expect((await settled(t.db)).find((j) => j.id === dead!.id)?.status).toBe('done');
      // A second retry of a delivered job is a clear 409, not a resend.
      const again = await rt.app.request(`/jobs/${dead!.id}/retry`, form({ csrf: s.csrf }, { cookie: s.cookie }));
      expect(again.status).toBe(409);
      expect(slack.messages).toHaveLength(1);
      const notice = await (await rt.app.request('/jobs?status=dead&done=retried&n=1', { headers: { cookie: s.cookie } })).text();
      expect(notice).toContain('1 dead job queued again');
    } finally {
      await slack.close();
    }
  });
});
