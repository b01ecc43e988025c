// Ingest probe (`npm run bench`): signed Stripe webhooks through app.request() (verify → one transaction → 200,
// no socket), 1 and 8 concurrent senders, on PGlite and PostgreSQL. Baseline measured in the same run: a bare
// driver loop, one transaction per event inserting only the inbox row (the floor of what any ingest must write).
// Prints figures and ratios; asserts nothing. The full benchmark suite (HTTP, dispatch, lag, memory) is issue 7.
import { performance } from 'node:perf_hooks';
import { createTestDb } from '../test/support/db.js';
import { startTestApp, stripeRequest } from '../test/support/app.js';
import { stripeEvent } from '../test/support/stripe-fixtures.js';

const N = Number(process.env.N ?? 2000);
for (const kind of ['pglite', 'postgres'] as const) {
  const t = await createTestDb(kind);
  // Raw baseline: one transaction per event inserting the inbox row only.
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await t.db.transaction(async (tx) => {
      await tx.query('INSERT INTO inbox_events (source, event_id, type, occurred_at, payload) VALUES ($1,$2,$3,now(),$4)', ['raw', `raw_${i}`, 'x', '{}']);
    });
  }
  const raw = N / ((performance.now() - t0) / 1000);
  const rt = await startTestApp(t, { env: { LOG_LEVEL: 'silent' } });
  const reqs = Array.from({ length: N }, (_, i) =>
    stripeRequest(stripeEvent('invoice.payment_failed', 'invoice', { id: `in_${i}`, customer: `cus_${i % 500}`, customer_email: `b${i % 500}@example.com`, subscription: null, parent: null }, { created: 1_767_225_600 + i })),
  );
  for (const conc of [1, 8]) {
    const slice = reqs.splice(0, Math.floor(N / 2));
    let next = 0;
    t0 = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => {
      while (next < slice.length) {
        const r = await rt.app.request('/api/webhooks/stripe', slice[next++]);
        if (r.status !== 200) throw new Error(String(r.status));
      }
    }));
    const rate = slice.length / ((performance.now() - t0) / 1000);
    console.log(`${kind} c=${conc}: ingest ${rate.toFixed(0)} ev/s, raw insert loop ${raw.toFixed(0)} tx/s, ratio ${(rate / raw).toFixed(2)}`);
  }
  await rt.close();
  await t.drop();
}
