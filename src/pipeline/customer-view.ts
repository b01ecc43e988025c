import { sql, type Queryable } from '../db/index.js';
import type { CustomerRow } from './customers.js';

const LIMIT = 500;

/**
 * One customer's truth for humans and tools: identities, state, and the timeline of events,
 * the transitions they caused (or why not) and the jobs they queued with each provider's answer.
 */
export async function customerView(db: Queryable, c: CustomerRow) {
  const [ids, tl, jobs, evs] = await Promise.all([
    db.query<{ kind: string; value: string; created_at: Date }>(sql.listIdentities, [c.id]),
    db.query<Record<string, unknown>>(sql.listTimeline, [c.id, LIMIT]),
    db.query<Record<string, unknown>>(sql.listCustomerJobs, [c.id, LIMIT]),
    db.query<Record<string, unknown>>(sql.listCustomerEvents, [c.id, LIMIT]),
  ]);
  const timeline = [
    // The queries return the newest rows first (so a long history keeps its latest part); show oldest first.
    ...tl.rows.reverse().map((r) => ({
      at: r.at as Date,
      type: r.kind as string,
      event: r.event_id ? { source: r.source, id: r.event_id, type: r.event_type, outcome: r.outcome } : null,
      from: r.from_state ?? null,
      to: r.to_state ?? null,
      rule: r.rule ?? null,
      detail: r.detail,
    })),
    ...jobs.rows.reverse().map((j) => ({
      at: j.created_at as Date,
      type: 'job',
      event: j.event_id ? { source: j.source, id: j.event_id } : null,
      job: { id: j.id, connector: j.connector, kind: j.kind, status: j.status, attempts: j.attempts, lastError: j.last_error, result: j.result, finishedAt: j.finished_at },
    })),
  ].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    lifecycle: c.lifecycle,
    support: c.support,
    identities: ids.rows.map((i) => ({ kind: i.kind, value: i.value })),
    timeline,
    // Every inbox event linked to the customer, oldest first, including those that left no timeline row
    // (ignored without a rule): `handoff trace` hangs each event's transition and jobs under it.
    events: evs.rows.reverse().map((e) => ({
      at: e.received_at as Date,
      occurredAt: e.occurred_at as Date,
      source: e.source as string,
      id: e.event_id as string,
      type: e.type as string,
      outcome: e.outcome as string,
      reason: (e.outcome_reason as string | null) ?? null,
    })),
  };
}
