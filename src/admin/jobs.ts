import { CONNECTOR_NAMES } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';
import { BadRequestError, HandoffError, NotFoundError } from '../errors.js';
import { iso, isoOrNull } from './time.js';
import { JOB_STATUSES, type JobStatus, type JobStatusFilter, type JobSummary, type RetriedJob } from './types.js';

export const MAX_JOB_LIST = 1000;

export interface JobFilter {
  status?: JobStatusFilter;
  connector?: string;
  /** Default 50, at most MAX_JOB_LIST. */
  limit?: number;
}

/** Validates a filter from outside (query string, CLI flags); a bad value is a 400 naming the valid ones. */
export function parseJobFilter(raw: { status?: string; connector?: string; limit?: string | number }): JobFilter {
  const problems: string[] = [];
  const status = raw.status?.trim() || undefined;
  const connector = raw.connector?.trim() || undefined;
  if (status && ![...JOB_STATUSES, 'stuck'].includes(status)) problems.push(`status must be one of ${[...JOB_STATUSES, 'stuck'].join(', ')}`);
  if (connector) assertConnector(connector, problems);
  let limit = 50;
  if (raw.limit !== undefined && raw.limit !== '') {
    limit = Number(raw.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIST) problems.push(`limit must be an integer from 1 to ${MAX_JOB_LIST}`);
  }
  if (problems.length) throw new BadRequestError(problems.join('; '), { problems });
  return { status: status as JobStatusFilter | undefined, connector, limit };
}

export function assertConnector(connector: string, problems?: string[]): void {
  if ((CONNECTOR_NAMES as readonly string[]).includes(connector)) return;
  const msg = `connector must be one of ${CONNECTOR_NAMES.join(', ')}`;
  if (problems) problems.push(msg);
  else throw new BadRequestError(msg);
}

/** A job id from outside: a positive integer that fits bigint, else a 400. */
export function parseJobId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw.trim())) throw new BadRequestError(`job id must be a positive integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw.trim());
}

export async function listJobs(db: Queryable, filter: JobFilter): Promise<JobSummary[]> {
  const { rows } = await db.query<Record<string, unknown>>(sql.listJobs, [filter.status ?? null, filter.connector ?? null, filter.limit ?? 50]);
  return rows.map(toSummary);
}

/**
 * Queues one dead job again (same idempotency key, attempts 0, due now).
 * Throws NotFoundError when no such job exists, and a 409 when it is not dead (a done job is never re-sent).
 */
export async function retryJob(db: Queryable, id: number): Promise<RetriedJob> {
  const { rows } = await db.query<Record<string, unknown>>(sql.retryJob, [id]);
  if (rows[0]) return toRetried(rows[0]);
  const found = await db.query<{ status: JobStatus }>(sql.findJob, [id]);
  if (!found.rows[0]) throw new NotFoundError(`no job #${id}`);
  throw new HandoffError('unprocessable', 409, `job #${id} is ${found.rows[0].status}, not dead: only dead jobs can be retried`);
}

/** Queues every dead job again (optionally one connector's); returns them in id order. */
export async function retryDeadJobs(db: Queryable, connector?: string): Promise<RetriedJob[]> {
  if (connector) assertConnector(connector);
  const { rows } = await db.query<Record<string, unknown>>(sql.retryDeadJobs, [connector ?? null]);
  return rows.map(toRetried);
}

function toRetried(r: Record<string, unknown>): RetriedJob {
  return { id: Number(r.id), connector: String(r.connector), kind: String(r.kind), idempotencyKey: String(r.idempotency_key) };
}

function toSummary(r: Record<string, unknown>): JobSummary {
  return {
    id: Number(r.id),
    connector: String(r.connector),
    kind: String(r.kind),
    status: r.status as JobStatus,
    stuck: r.stuck === true,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    idempotencyKey: String(r.idempotency_key),
    customer: { id: String(r.customer_id), email: (r.email as string | null) ?? null },
    event: r.event_id ? { source: String(r.source), id: String(r.event_id), type: String(r.event_type) } : null,
    runAt: iso(r.run_at),
    lockedUntil: isoOrNull(r.locked_until),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    finishedAt: isoOrNull(r.finished_at),
    lastError: (r.last_error as string | null) ?? null,
    result: r.result ?? null,
  };
}
