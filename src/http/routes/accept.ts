import type { Context } from 'hono';
import { assertSaneTime, assertStorable, type DomainEvent } from '../../events/index.js';
import { record } from '../../pipeline/index.js';
import type { AppDeps, Env } from '../context.js';

/**
 * Records one verified event in THE transaction and answers 200 `{received, duplicate}`.
 * The log line carries ids and the outcome, never the payload.
 */
export async function accept(c: Context<Env>, deps: AppDeps, event: DomainEvent, payload: unknown, started: number) {
  assertStorable(payload);
  assertSaneTime(event.occurredAt);
  const r = await record(deps.db, event, payload, deps.record);
  // Outcomes and latency are counted by the http-metrics middleware; it only needs to learn "duplicate".
  if (r.duplicate) deps.metrics.noteDuplicate(c.req.raw, event.source);
  c.get('log').info(
    { source: event.source, eventId: event.eventId, type: event.sourceType, duplicate: r.duplicate, outcome: r.outcome, customerId: r.customerId, jobs: r.jobsQueued },
    'event recorded',
  );
  return c.json({ received: true, duplicate: r.duplicate });
}

/** Parses JSON that has already been authenticated; malformed JSON is the sender's 400, never a 500. */
export function parseJson(raw: string): unknown {
  return JSON.parse(raw);
}
