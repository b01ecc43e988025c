import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector, ConnectorName, ConnectorResult, CustomerSnapshot, JobToRun } from '../../src/connectors/index.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { createMetrics } from '../../src/monitor/index.js';
import { captureLogger, systemIds, testConfig } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { jobs, settled, waitUntil } from '../support/wait.js';

/**
 * Follow-up jobs (payload.then) and timeline notes, written in the same transaction that records the parent
 * as done. The connectors here are small in-process implementations of the Connector interface: the subject
 * is the dispatcher's bookkeeping, not any provider.
 */
describe.each(DB_KINDS)('follow-up jobs and effect notes on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let dispatcher: Dispatcher | undefined;
  const calls: Array<{ connector: string; job: JobToRun; customer: CustomerSnapshot | null }> = [];

  beforeEach(async () => {
    calls.length = 0;
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  });

  const connector = (name: ConnectorName, answer: (job: JobToRun) => Promise<ConnectorResult> | ConnectorResult): Connector => ({
    name,
    async run(job, customer) {
      calls.push({ connector: name, job, customer });
      return answer(job);
    },
  });

  const start = (connectors: Connector[]) => {
    dispatcher = new Dispatcher({
      db: t.db,
      connectors: new Map(connectors.map((c) => [c.name, c])),
      config: testConfig().dispatcher,
      logger: captureLogger().logger,
      metrics: createMetrics(),
      ids: systemIds,
      flushMs: 5,
    });
    return dispatcher.start();
  };

  /** One customer, one inbox event and a ticket job whose follow-ups are an email and a Slack message. */
  async function seedTicketJob(): Promise<number> {
    await t.db.query(`INSERT INTO customers (id, email, name, support) VALUES ('c1', 'ada@example.com', 'Ada', 'needs_support')`);
    const inbox = await t.db.query<{ id: number }>(
      `INSERT INTO inbox_events (source, event_id, type, occurred_at, payload, outcome, customer_id)
       VALUES ('app', 'esc_1', 'support.escalation_requested', now(), '{}', 'applied', 'c1') RETURNING id`,
    );
    const payload = {
      facts: { escalation_id: 'esc_1', subject: 'Cannot log in' },
      then: [
        { connector: 'email', kind: 'send', idempotencyKey: 'email_support_confirmation:app:esc_1', payload: { template: 'support_confirmation', facts: { escalation_id: 'esc_1' } } },
        { connector: 'slack', kind: 'notify', idempotencyKey: 'slack_ticket:app:esc_1', payload: { template: 'refund' } },
      ],
    };
    const job = await t.db.query<{ id: number }>(
      `INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, max_attempts)
       VALUES ('zendesk', 'create_ticket', 'zendesk_ticket:app:esc_1', 'c1', $1, $2, 5) RETURNING id`,
      [inbox.rows[0]!.id, JSON.stringify(payload)],
    );
    return Number(job.rows[0]!.id);
  }

  it('a done parent queues its follow-ups once, with its facts, and writes its note to the timeline', async () => {
    const parentId = await seedTicketJob();
    await start([
      connector('zendesk', () => ({ status: 'done', result: { ticket_id: 42 }, note: 'Zendesk ticket #42 created', facts: { ticket_id: 42 }, identities: { zendesk_ticket: '42' } })),
      connector('email', () => ({ status: 'done', result: { email_id: 'em_1' } })),
    ]);
    await waitUntil(async () => (await jobs(t.db)).length === 3 && (await settled(t.db)));
    const all = (await jobs(t.db)).sort((a, b) => a.idempotency_key.localeCompare(b.idempotency_key));
    expect(all.map((j) => [j.connector, j.idempotency_key, j.status])).toEqual([
      ['email', 'email_support_confirmation:app:esc_1', 'done'],
      // Slack is not configured in this dispatcher: recorded, not lost, not run.
      ['slack', 'slack_ticket:app:esc_1', 'skipped'],
      ['zendesk', 'zendesk_ticket:app:esc_1', 'done'],
    ]);
    expect(all[1]!.result).toEqual({ skipped: 'connector slack is not configured' });

    const email = calls.find((c) => c.connector === 'email')!;
    expect(email.job.payload.template).toBe('support_confirmation');
    // The parent's facts are merged over the follow-up's own.
    expect(email.job.payload.facts).toEqual({ escalation_id: 'esc_1', ticket_id: 42 });
    expect(calls.filter((c) => c.connector === 'email')).toHaveLength(1);

    const followUps = await t.db.query<{ inbox_id: number; customer_id: string }>(`SELECT inbox_id, customer_id FROM jobs WHERE id <> $1`, [parentId]);
    const parent = await t.db.query<{ inbox_id: number }>(`SELECT inbox_id FROM jobs WHERE id = $1`, [parentId]);
    for (const r of followUps.rows) expect([r.customer_id, Number(r.inbox_id)]).toEqual(['c1', Number(parent.rows[0]!.inbox_id)]);

    const notes = await t.db.query<{ kind: string; inbox_id: number; detail: Record<string, unknown> }>(`SELECT kind, inbox_id, detail FROM timeline WHERE customer_id = 'c1'`);
    expect(notes.rows).toHaveLength(1);
    expect(notes.rows[0]!.kind).toBe('effect');
    expect(Number(notes.rows[0]!.inbox_id)).toBe(Number(parent.rows[0]!.inbox_id));
    expect(notes.rows[0]!.detail).toEqual({ job_id: parentId, connector: 'zendesk', kind: 'create_ticket', note: 'Zendesk ticket #42 created' });
    const ids = await t.db.query(`SELECT value FROM identities WHERE kind = 'zendesk_ticket' AND customer_id = 'c1'`);
    expect(ids.rows).toEqual([{ value: '42' }]);
  });

  it('a worker without a connector leaves its jobs pending for a worker that has it (never skips them)', async () => {
    const parentId = await seedTicketJob();
    await start([connector('email', () => ({ status: 'done' }))]); // no zendesk here
    await new Promise((r) => setTimeout(r, 400)); // several poll intervals
    expect((await jobs(t.db)).map((j) => [j.id, j.status, j.attempts])).toEqual([[parentId, 'pending', 0]]);
    await dispatcher!.stop();
    await start([connector('zendesk', () => ({ status: 'done', facts: { ticket_id: 5 } })), connector('email', () => ({ status: 'done' }))]);
    await waitUntil(async () => (await jobs(t.db)).find((j) => j.id === parentId)?.status === 'done');
    expect(calls.map((c) => c.connector)).toContain('zendesk');
  });

  it('a failed or skipped parent queues no follow-ups', async () => {
    await seedTicketJob();
    await start([connector('zendesk', () => ({ status: 'skipped', reason: 'support is none now' })), connector('email', () => ({ status: 'done' }))]);
    const all = await settled(t.db);
    expect(all.map((j) => [j.connector, j.status])).toEqual([['zendesk', 'skipped']]);
    expect(calls.map((c) => c.connector)).toEqual(['zendesk']);
    expect((await t.db.query(`SELECT 1 FROM timeline`)).rows).toHaveLength(0);
  });

  it('a completion that lost its lease writes no note and queues nothing (the new owner will)', async () => {
    const parentId = await seedTicketJob();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await start([
      connector('zendesk', async () => {
        await held;
        return { status: 'done', note: 'Zendesk ticket #7 created', facts: { ticket_id: 7 } };
      }),
      connector('email', () => ({ status: 'done' })),
    ]);
    await waitUntil(async () => calls.length === 1);
    // Another worker took the job over (as after an expired lease).
    await t.db.query(`UPDATE jobs SET locked_by = 'dispatcher-other' WHERE id = $1`, [parentId]);
    release();
    await dispatcher!.idle();
    const all = await jobs(t.db);
    expect(all.map((j) => [j.connector, j.status])).toEqual([['zendesk', 'running']]);
    expect((await t.db.query(`SELECT 1 FROM timeline`)).rows).toHaveLength(0);
  });
});
