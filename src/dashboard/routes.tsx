import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseJobId, retryDeadJobs, retryJob } from '../admin/index.js';
import { review } from '../chatbot/index.js';
import { BadRequestError, HandoffError } from '../errors.js';
import { assertStorable } from '../events/index.js';
import type { AppDeps, Env } from '../http/context.js';
import { authRoutes } from './auth.js';
import { ErrorPage, FORM_LIMIT_BYTES, handle, localPath, render, signedIn, signedPost, type Signed } from './guard.js';
import { AlertsPage, loadIncidents } from './pages/alerts.js';
import { CustomerPage, loadCustomer } from './pages/customer.js';
import { CustomersPage, loadCustomers } from './pages/customers.js';
import { EventPage, EventsPage, loadEvent, loadEvents } from './pages/events.js';
import { HomePage, loadOverview } from './pages/home.js';
import { JobsPage, loadJobs } from './pages/jobs.js';
import { loadReview, ReviewPage } from './pages/review.js';
import { plural } from './ui/parts.js';

/** What an action reports on the page it returns to: a fixed message per code, never text from the URL. */
function noticeFor(q: Record<string, string>): string | undefined {
  const n = Number(q.n ?? 0);
  switch (q.done) {
    case 'retried':
      return `${plural(Number.isSafeInteger(n) ? n : 0, 'dead job')} queued again; the dispatcher picks ${n === 1 ? 'it' : 'them'} up now.`;
    case 'approved':
      return 'Approved: the action runs now.';
    case 'rejected':
      return 'Rejected: the action was dropped.';
    default:
      return undefined;
  }
}

/** The page a form came from (its `back` field), with the action's notice added to its query string. */
function backWith(form: Record<string, unknown>, fallback: string, notice: Record<string, string>): string {
  const u = new URL(localPath(form.back, fallback), 'http://dashboard.invalid');
  for (const k of ['done', 'n']) u.searchParams.delete(k);
  for (const [k, v] of Object.entries(notice)) u.searchParams.set(k, v);
  return `${u.pathname}${u.search}`;
}

/** The path and query of this request without an earlier notice (where forms on this page come back to). */
function here(c: Context): string {
  const u = new URL(c.req.url);
  u.searchParams.delete('done');
  u.searchParams.delete('n');
  return `${u.pathname}${u.search}`;
}

/**
 * The founder dashboard: server-rendered pages on the same Hono app, mounted at "/". Every page needs a
 * session (else 303 to /login); every form post needs the session, a same-site Origin and its CSRF token.
 * No route here uses a `*` middleware: mounted at "/", it would also run for the API routes.
 */
export function dashboardRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  authRoutes(app, deps);
  const form = bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: (c) => render(c, 413, <ErrorPage status={413} message="form too large" />) });

  const page = (path: string, fn: (c: Context<Env>, s: Signed) => Promise<Response>) =>
    app.get(path, (c) =>
      handle(c, deps, async () => {
        const s = await signedIn(c, deps);
        return s instanceof Response ? s : fn(c, s);
      }),
    );
  const action = (path: string, fn: (c: Context<Env>, s: Signed & { form: Record<string, unknown> }) => Promise<Response>) =>
    app.post(path, form, (c) =>
      handle(c, deps, async () => {
        const s = await signedPost(c, deps);
        return s instanceof Response ? s : fn(c, s);
      }),
    );

  page('/', async (c, s) => render(c, 200, <HomePage ctx={s.ctx} o={await loadOverview(deps.db, deps.clock.now())} />));
  page('/customers', async (c, s) => render(c, 200, <CustomersPage ctx={s.ctx} list={await loadCustomers(deps.db, c.req.query())} />));
  page('/customers/:ref', async (c, s) =>
    render(c, 200, <CustomerPage ctx={s.ctx} data={await loadCustomer(deps.db, deps.config, c.req.param('ref') ?? '')} back={here(c)} notice={noticeFor(c.req.query())} />),
  );
  page('/events', async (c, s) => render(c, 200, <EventsPage ctx={s.ctx} list={await loadEvents(deps.db, c.req.query())} />));
  page('/events/:id', async (c, s) => render(c, 200, <EventPage ctx={s.ctx} e={await loadEvent(deps.db, { id: c.req.param('id') })} />));
  page('/events/:source/:eventId', async (c, s) =>
    render(c, 200, <EventPage ctx={s.ctx} e={await loadEvent(deps.db, { source: c.req.param('source'), eventId: c.req.param('eventId') })} />),
  );
  page('/jobs', async (c, s) => render(c, 200, <JobsPage ctx={s.ctx} list={await loadJobs(deps.db, c.req.query(), deps.clock.now())} back={here(c)} notice={noticeFor(c.req.query())} />));
  page('/review', async (c, s) =>
    render(c, 200, <ReviewPage ctx={s.ctx} data={await loadReview(deps.db, c.req.query())} back={here(c)} notice={noticeFor(c.req.query())} />),
  );
  page('/alerts', async (c, s) => render(c, 200, <AlertsPage ctx={s.ctx} data={await loadIncidents(deps.db)} now={deps.clock.now()} />));

  // Actions go through the same service functions as the admin API and the CLI (src/admin).
  action('/jobs/:id/retry', async (c, s) => {
    const job = await retryJob(deps.db, parseJobId(c.req.param('id') ?? ''));
    c.get('log').info({ jobId: job.id, connector: job.connector }, 'dead job queued again from the dashboard');
    return c.redirect(backWith(s.form, '/jobs', { done: 'retried', n: '1' }), 303);
  });
  action('/jobs/retry-dead', async (c, s) => {
    const connector = s.form.connector;
    if (typeof connector !== 'string' || connector === '') throw new BadRequestError('connector is required: retry the dead jobs of one connector at a time');
    const jobs = await retryDeadJobs(deps.db, connector);
    c.get('log').info({ retried: jobs.length, connector }, 'dead jobs queued again from the dashboard');
    return c.redirect(backWith(s.form, '/jobs', { done: 'retried', n: String(jobs.length) }), 303);
  });
  // The chatbot's own review service: approve runs the stored action through the pipeline, reject drops it.
  for (const verdict of ['approved', 'rejected'] as const) {
    action(`/review/:id/${verdict === 'approved' ? 'approve' : 'reject'}`, async (c, s) => {
      const id = c.req.param('id') ?? '';
      assertStorable(id);
      const reply = await review({ db: deps.db, clock: deps.clock, record: deps.record }, id, verdict, c.get('log'));
      if (reply.status !== 200) throw new HandoffError('unprocessable', reply.status, reply.body.message);
      return c.redirect(backWith(s.form, '/review', { done: verdict }), 303);
    });
  }
  return app;
}
