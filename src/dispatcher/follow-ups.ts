import type { ConnectorName, ConnectorResult, JobToRun } from '../connectors/types.js';
import type { FollowUp } from '../lifecycle/index.js';

/** A follow-up job as queueFollowUps.sql inserts it. */
export interface FollowUpRow {
  parent_id: number;
  customer_id: string;
  connector: ConnectorName;
  kind: string;
  idempotency_key: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'skipped';
  reason: string | null;
}

type Facts = NonNullable<Extract<ConnectorResult, { status: 'done' }>['facts']>;

/**
 * Pure: the follow-ups a done job queues (its payload.then), each with the parent's result facts merged
 * over its own. A follow-up for a connector that is not configured is recorded as skipped, like any effect.
 * A malformed `then` is a bug in whoever queued the parent: it is ignored rather than failing a delivered job.
 */
export function followUpRows(job: JobToRun, customerId: string, facts: Facts | undefined, enabled: (c: ConnectorName) => boolean): FollowUpRow[] {
  const then = job.payload.then;
  if (!Array.isArray(then)) return [];
  return (then as FollowUp[])
    .filter((f) => f && typeof f.connector === 'string' && typeof f.kind === 'string' && typeof f.idempotencyKey === 'string')
    .map((f) => {
      const on = enabled(f.connector);
      const payload = { ...(f.payload ?? {}), facts: { ...((f.payload?.facts as Facts | undefined) ?? {}), ...(facts ?? {}) } };
      return {
        parent_id: job.id,
        customer_id: customerId,
        connector: f.connector,
        kind: f.kind,
        idempotency_key: f.idempotencyKey,
        payload,
        status: on ? 'pending' : 'skipped',
        reason: on ? null : `connector ${f.connector} is not configured`,
      };
    });
}
