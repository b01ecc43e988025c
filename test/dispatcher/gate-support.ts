import type { Queryable } from '../../src/db/index.js';
import type { RecordedRequest } from '../emulators/index.js';

/**
 * Helpers for the rate-limit, circuit and credentials tests: queue jobs directly (the subject is the
 * dispatcher, not ingest), read connector_state, count calls per window at the emulator.
 */

const JOB: Record<'slack' | 'hubspot' | 'webhook', { kind: string; payload: Record<string, unknown> }> = {
  slack: { kind: 'notify', payload: { template: 'churned', facts: { plan: 'pro' } } },
  hubspot: { kind: 'upsert_contact', payload: {} },
  webhook: { kind: 'deliver', payload: { type: 'customer.lifecycle_changed', timestamp: '2026-11-27T10:00:00Z', data: { lifecycle: 'churned' } } },
};

/** `n` customers, each with one job for `connector` (Slack: a churn message; HubSpot: a contact upsert; webhook: one message). */
export async function queueJobs(db: Queryable, connector: 'slack' | 'hubspot' | 'webhook', n: number, prefix: string = connector): Promise<void> {
  const { kind, payload } = JOB[connector];
  await db.query(
    `INSERT INTO customers (id, email, name) SELECT $1 || '-' || g, $1 || '-' || g || '@example.com', 'Customer ' || g FROM generate_series(1, $2::integer) g`,
    [prefix, n],
  );
  await db.query(
    `INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, max_attempts)
     SELECT $1, $2, $3 || ':' || g, $3 || '-' || g, $4::jsonb, 12 FROM generate_series(1, $5::integer) g`,
    [connector, kind, prefix, JSON.stringify(payload), n],
  );
}

export interface StateRow {
  status: string;
  reason: string | null;
  variable: string | null;
  since: Date | null;
  next_probe_at: Date | null;
  consecutive_failures: number;
  probe_job_id: number | null;
}

export async function connectorState(db: Queryable, connector: string): Promise<StateRow | undefined> {
  const { rows } = await db.query<StateRow>(
    'SELECT status, reason, variable, since, next_probe_at, consecutive_failures, probe_job_id FROM connector_state WHERE connector = $1',
    [connector],
  );
  return rows[0];
}

/** Lets the cool-down (or a quota reset) pass: what the clock would do, without waiting for it. */
export async function probeNow(db: Queryable, connector: string): Promise<void> {
  await db.query('UPDATE connector_state SET next_probe_at = now() WHERE connector = $1', [connector]);
}

export async function jobCounts(db: Queryable, connector: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::integer AS n FROM jobs WHERE connector = $1 GROUP BY status', [connector]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function totalAttempts(db: Queryable, connector: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT COALESCE(sum(attempts), 0)::integer AS n FROM jobs WHERE connector = $1', [connector]);
  return rows[0]!.n;
}

/** The most requests that arrived within any window of `windowMs` (half-open: [t, t + windowMs)). */
export function maxInAnyWindow(requests: readonly RecordedRequest[], windowMs: number): number {
  const at = requests.map((r) => r.at).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (j < at.length && at[j]! < at[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
