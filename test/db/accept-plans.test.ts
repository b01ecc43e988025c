import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDb } from '../support/db.js';

/** Runs `fn` on its own connection with auto_explain (PostgreSQL's contrib) reporting the plan of every statement,
 * those inside functions included, as a notice; returns the plans in order. */
async function withPlans(url: string, fn: (client: pg.Client) => Promise<void>): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  const plans: string[] = [];
  client.on('notice', (n) => plans.push(n.message ?? ''));
  await client.connect();
  try {
    await client.query(`LOAD 'auto_explain'`);
    for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', 'log_level = notice', 'sample_rate = 1']) {
      await client.query(`SET auto_explain.${setting}`);
    }
    await fn(client);
  } finally {
    await client.end();
  }
  return plans;
}

/**
 * The accept step (handoff_lock_event, migrations 0015 and 0017) must stay key probes on a NEW database. A connection keeps
 * the plans it made on the first events: when the empty tables made a scan look as cheap as a probe, every later
 * event read the whole inbox (dedupe) and the whole identities table (resolution), for as long as the connection
 * lived — on PGlite, which never analyses, for the life of the process.
 */
describe.each(DB_KINDS)('the accept step on a new %s database', (kind) => {
  const t = useTestDb(kind);

  it('has exactly one index that a lookup by source alone could use: UNIQUE (source, event_id)', async () => {
    const { rows } = await t.db.query<{ name: string }>(
      `SELECT c.relname AS name
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indexrelid
       JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
       WHERE x.indrelid = 'inbox_events'::regclass AND a.attname = 'source'`,
    );
    expect(rows.map((r) => r.name)).toEqual(['inbox_events_source_event_id_key']);
  });

  it('plans its statements once per connection', async () => {
    const { rows } = await t.db.query<{ config: string[] | null }>(`SELECT proconfig AS config FROM pg_proc WHERE proname = 'handoff_lock_event'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.config).toContain('plan_cache_mode=force_generic_plan');
  });

  it.runIf(kind === 'postgres')('dedupes and resolves identities by index probes, in the plans a connection keeps', async () => {
    const plans = await withPlans(t.url!, async (client) => {
      // More calls than PostgreSQL's five custom plans, each its own transaction, as the server makes them.
      for (let i = 0; i < 8; i++) {
        await client.query('BEGIN');
        await client.query(`SELECT * FROM handoff_lock_event($1, $2, $3, $4, $5, $6)`, [
          'stripe',
          `evt_plan_${i}`,
          [`id:email:plan${i}@example.com`, `id:stripe_customer:cus_plan${i}`, `wm:sub_plan${i}`],
          ['email', 'stripe_customer'],
          [`plan${i}@example.com`, `cus_plan${i}`],
          [`sub_plan${i}`],
        ]);
        await client.query('COMMIT');
      }
    });
    const dedupe = plans.filter((p) => p.includes('FROM inbox_events i WHERE i.source = p_source'));
    const identities = plans.filter((p) => p.includes('FROM identities i WHERE i.kind = want.kind'));
    expect(dedupe).toHaveLength(8);
    expect(identities).toHaveLength(8);
    for (const p of dedupe) expect(p).toMatch(/Index Only Scan using inbox_events_source_event_id_key|Index Scan using inbox_events_source_event_id_key/);
    for (const p of identities) expect(p).toContain('identities_pkey');
    for (const p of plans) expect(p).not.toMatch(/Seq Scan on (inbox_events|identities|customers|watermarks)\b/);
  });

  it.runIf(kind === 'postgres')('locks the owners and reads watermarks by index probes on a table of about a thousand rows (analysed)', async () => {
    // The generic plan guesses 10 elements for `= ANY($array)`: on a table of about a thousand rows, analysed (as
    // autovacuum does while a new installation fills up), ten probes looked dearer than one scan, and every
    // event's owner lock read the whole customers table (measured: 128 µs per event at 1,225 customers, growing).
    await t.db.exec(`
      INSERT INTO customers (id, email, lifecycle) SELECT 'cus-probe-' || g, 'probe' || g || '@example.com', 'paid' FROM generate_series(1, 1200) AS g;
      INSERT INTO identities (kind, value, customer_id) SELECT 'stripe_customer', 'cus_probe_' || g, 'cus-probe-' || g FROM generate_series(1, 1200) AS g;
      INSERT INTO watermarks (object_key, created, event_id) SELECT 'sub_probe_' || g, 1, 'evt_probe_' || g FROM generate_series(1, 1200) AS g;
      ANALYZE customers; ANALYZE identities; ANALYZE watermarks;
    `);
    const plans = await withPlans(t.url!, async (client) => {
      for (let i = 1; i <= 8; i++) {
        await client.query('BEGIN');
        const { rows } = await client.query<{ owners: Array<{ id: string }> }>(`SELECT * FROM handoff_lock_event($1, $2, $3, $4, $5, $6)`, [
          'stripe',
          `evt_probe_${i}`,
          [`id:stripe_customer:cus_probe_${i}`, `wm:sub_probe_${i}`],
          ['stripe_customer'],
          [`cus_probe_${i}`],
          [`sub_probe_${i}`],
        ]);
        // The owner is found and returned (the lock is held until COMMIT).
        expect(rows[0]!.owners.map((o) => o.id)).toEqual([`cus-probe-${i}`]);
        await client.query('COMMIT');
      }
    });
    const owners = plans.filter((p) => p.includes('FOR NO KEY UPDATE'));
    const watermarks = plans.filter((p) => p.includes('FROM watermarks'));
    expect(owners).toHaveLength(8);
    expect(watermarks).toHaveLength(8);
    for (const p of [...owners, ...watermarks]) expect(p).not.toMatch(/Seq Scan on (customers|watermarks)\b/);
    for (const p of owners) expect(p).toContain('customers_pkey');
    for (const p of watermarks) expect(p).toContain('watermarks_pkey');
  });
});
