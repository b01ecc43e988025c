// Dashboard probe (`npm run bench:dashboard`): seeds 10,000 customers and 100,000 events (with their
// identities, timeline rows and ~140,000 outbox jobs) into PGlite and PostgreSQL, then renders every
// dashboard page through app.request() (no socket) and prints the median and p95 render time of each,
// against a baseline measured in the same run on the same app (GET /api/health: routing, middleware and
// a JSON answer, no database). The goal is every page under 100 ms. Prints figures; asserts nothing.
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/index.js';
import { ADMIN_TOKEN, startTestApp } from '../test/support/app.js';
import { createTestDb } from '../test/support/db.js';

const CUSTOMERS = Number(process.env.CUSTOMERS ?? 10_000);
const EVENTS = Number(process.env.EVENTS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 30);
const WARMUP = 5;

/**
 * Bulk seed in a realistic shape, straight in SQL (the pipeline would take an hour for 100k events):
 * customers first seen over the last year, events over the last 90 days (the newest ~1% in the last day),
 * each applied event with a timeline row and 1-2 jobs, nearly all delivered, a few dead and pending.
 */
async function seed(db: Database): Promise<void> {
  await db.exec(`
    INSERT INTO customers (id, email, name, lifecycle, support, created_at, updated_at)
    SELECT 'cust-' || g, 'user' || g || '@example.com', 'User ' || g,
           (ARRAY['lead','trial','paid','paid','past_due','churned'])[1 + g % 6],
           CASE WHEN g % 50 = 0 THEN 'needs_support' ELSE 'none' END,
           now() - (g % 365) * interval '1 day' - (g % 1440) * interval '1 minute', now() - (g % 30) * interval '1 hour'
    FROM generate_series(1, ${CUSTOMERS}) AS g;
    INSERT INTO identities (kind, value, customer_id)
    SELECT 'email', 'user' || g || '@example.com', 'cust-' || g FROM generate_series(1, ${CUSTOMERS}) AS g
    UNION ALL SELECT 'stripe_customer', 'cus_' || g, 'cust-' || g FROM generate_series(1, ${CUSTOMERS}) AS g WHERE g % 2 = 0
    UNION ALL SELECT 'app_user', 'u_' || g, 'cust-' || g FROM generate_series(1, ${CUSTOMERS}) AS g;
    INSERT INTO inbox_events (source, event_id, type, occurred_at, received_at, outcome, outcome_reason, customer_id, payload)
    SELECT s.source, s.source || '_evt_' || g, s.type, s.ts, s.ts,
           CASE WHEN g % 40 = 0 THEN 'stale' WHEN g % 25 = 0 THEN 'ignored' ELSE 'applied' END,
           CASE WHEN g % 40 = 0 THEN 'stale: created 1 is older than 2 already applied' WHEN g % 25 = 0 THEN 'no rule' ELSE 'signup' END,
           'cust-' || (1 + g % ${CUSTOMERS}),
           jsonb_build_object('id', s.source || '_evt_' || g, 'type', s.type, 'created', extract(epoch FROM s.ts)::bigint,
                              'data', jsonb_build_object('object', jsonb_build_object('id', 'obj_' || g, 'customer', 'cus_' || (1 + g % ${CUSTOMERS}),
                                'customer_email', 'user' || (1 + g % ${CUSTOMERS}) || '@example.com', 'amount_paid', 4900, 'currency', 'usd')))
    FROM generate_series(1, ${EVENTS}) AS g,
         LATERAL (SELECT (ARRAY['stripe','stripe','stripe','app','clerk'])[1 + g % 5] AS source,
                         (ARRAY['invoice.paid','customer.subscription.updated','invoice.payment_failed','user.signed_up','user.created','trial.started','charge.refunded','customer.updated'])[1 + g % 8] AS type,
                         now() - ((${EVENTS} - g)::float8 / ${EVENTS}) * interval '90 days' AS ts) AS s;
    INSERT INTO timeline (customer_id, inbox_id, at, kind, from_state, to_state, rule, detail)
    SELECT e.customer_id, e.id, e.received_at,
           CASE WHEN e.outcome <> 'applied' THEN e.outcome WHEN e.id % 20 < 4 THEN 'transition' ELSE 'event' END,
           'lead', CASE e.id % 20 WHEN 0 THEN 'trial' WHEN 1 THEN 'trial' WHEN 2 THEN 'paid' WHEN 3 THEN 'past_due' ELSE 'lead' END,
           CASE WHEN e.id % 97 = 0 THEN 'support_needed' WHEN e.id % 20 < 4 THEN 'first_payment' ELSE 'profile' END, '{}'::jsonb
    FROM inbox_events e WHERE e.outcome <> 'ignored';
    INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, status, attempts, max_attempts, run_at,
                      last_error, result, created_at, updated_at, finished_at)
    SELECT j.connector, j.kind, j.connector || ':' || e.source || ':' || e.event_id, e.customer_id, e.id, '{}'::jsonb,
           CASE WHEN e.id % 1000 = 7 THEN 'dead' WHEN e.id > ${EVENTS} - 40 THEN 'pending' WHEN e.id % 9 = 0 THEN 'skipped' ELSE 'done' END,
           CASE WHEN e.id % 1000 = 7 THEN 12 ELSE 1 END, 12, e.received_at,
           CASE WHEN e.id % 1000 = 7 THEN 'retryable: slack: HTTP 503: service_unavailable' END,
           CASE WHEN e.id % 1000 = 7 OR e.id > ${EVENTS} - 40 THEN NULL ELSE '{"response":"ok"}'::jsonb END,
           e.received_at, e.received_at, CASE WHEN e.id > ${EVENTS} - 40 THEN NULL ELSE e.received_at + interval '2 seconds' END
    FROM inbox_events e
    CROSS JOIN LATERAL (VALUES ('hubspot', 'upsert_contact'), ('slack', 'notify')) AS j(connector, kind)
    WHERE e.outcome = 'applied' AND (j.connector = 'hubspot' OR e.id % 2 = 0);
    INSERT INTO timeline (customer_id, inbox_id, kind, detail)
    SELECT customer_id, inbox_id, 'retry', jsonb_build_object('job_id', id, 'connector', connector, 'kind', kind)
    FROM jobs WHERE status = 'done' AND id % 500 = 0;
    INSERT INTO chatbot_decisions (id, conversation_id, customer_id, email, action, message, classification, category, priority,
                                   decision, rule, reason, review, created_at)
    SELECT 'dec-' || g, 'conv-' || g, 'cust-' || g, 'user' || g || '@example.com', 'escalate_to_support',
           'The export button throws an error and nothing downloads', '{}'::jsonb, 'bug', 'normal', 'needs_review',
           'low_confidence', 'bot confidence 0.3 is below 0.7', CASE WHEN g <= 30 THEN 'pending' ELSE 'approved' END, now() - g * interval '1 hour'
    FROM generate_series(1, 200) AS g;
    INSERT INTO alert_incidents (rule, subject, title, summary, opened_at, resolved_at)
    SELECT 'dead_jobs', 'connector-' || g, 'Dead letters', 'slack has dead jobs', now() - g * interval '1 day',
           CASE WHEN g > 2 THEN now() - g * interval '1 day' + interval '1 hour' END
    FROM generate_series(1, 300) AS g;
  `);
  await db.exec(db.kind === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

for (const kind of ['pglite', 'postgres'] as const) {
  const t = await createTestDb(kind);
  let t0 = performance.now();
  await seed(t.db);
  const seeded = performance.now() - t0;
  const counts = (await t.db.query<{ jobs: number; timeline: number }>('SELECT (SELECT count(*) FROM jobs)::integer AS jobs, (SELECT count(*) FROM timeline)::integer AS timeline')).rows[0]!;
  const rt = await startTestApp(t, { env: { LOG_LEVEL: 'silent' } });
  const login = await rt.app.request('/login', { method: 'POST', body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const cookie = /handoff_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
  const someEvent = (await t.db.query<{ id: number }>('SELECT id FROM inbox_events ORDER BY id DESC LIMIT 1 OFFSET 500')).rows[0]!.id;

  const measure = async (path: string, headers: Record<string, string>) => {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      t0 = performance.now();
      const res = await rt.app.request(path, { headers });
      await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      if (i >= WARMUP) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { median: pct(times, 0.5), p95: pct(times, 0.95) };
  };

  const base = await measure('/api/health', {});
  console.log(`\n${kind}: seeded ${CUSTOMERS} customers, ${EVENTS} events, ${counts.timeline} timeline rows, ${counts.jobs} jobs in ${(seeded / 1000).toFixed(1)} s; ${RUNS} runs per page`);
  console.log(`  ${'GET /api/health (baseline)'.padEnd(52)} median ${base.median.toFixed(2).padStart(7)} ms  p95 ${base.p95.toFixed(2).padStart(7)} ms`);
  const pages = [
    '/',
    '/customers',
    '/customers?q=user4242',
    '/customers?q=cus_4242',
    '/customers?state=paid',
    '/customers?state=churned&page=20',
    '/customers?support=needs_support',
    '/customers/user4242@example.com',
    '/events',
    '/events?source=stripe&outcome=stale',
    '/events?type=charge.refunded',
    '/events?type=no.such.type',
    `/events?before=${Math.floor(EVENTS / 2)}`,
    `/events/${someEvent}`,
    '/jobs',
    '/jobs?status=dead',
    '/jobs?connector=slack&status=done',
    '/review',
    '/review?show=approved',
    '/alerts',
  ];
  let worst = 0;
  for (const p of pages) {
    const r = await measure(p, { cookie });
    worst = Math.max(worst, r.p95);
    console.log(
      `  ${`GET ${p}`.padEnd(52)} median ${r.median.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  ×${(r.median / base.median).toFixed(0)} baseline${r.p95 > 100 ? '  OVER 100 ms' : ''}`,
    );
  }
  console.log(`  slowest page p95: ${worst.toFixed(1)} ms (goal: under 100 ms)`);
  await rt.close();
  await t.drop();
}
