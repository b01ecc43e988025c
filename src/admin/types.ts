/**
 * The shapes the admin API answers with and the CLI prints. JSON only (timestamps as ISO strings), so a
 * command shows the same data whether it read the database directly or went through a server.
 */
export const JOB_STATUSES = ['pending', 'running', 'done', 'skipped', 'dead'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** `stuck`: running with an expired lease (its worker died; the next claim picks it up). */
export type JobStatusFilter = JobStatus | 'stuck';

export interface JobSummary {
  id: number;
  connector: string;
  kind: string;
  status: JobStatus;
  stuck: boolean;
  attempts: number;
  maxAttempts: number;
  idempotencyKey: string;
  customer: { id: string; email: string | null };
  event: { source: string; id: string; type: string } | null;
  runAt: string;
  lockedUntil: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  lastError: string | null;
  result: unknown;
}

export interface RetriedJob {
  id: number;
  connector: string;
  kind: string;
  idempotencyKey: string;
}

export interface KeySummary {
  id: string;
  name: string;
  /** The first 10 characters of the key, for recognising it; the key itself is never stored. */
  prefix: string;
  scopes: string[];
  bootstrap: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedKey {
  /** Shown once: only its SHA-256 is stored. */
  key: string;
  apiKey: KeySummary;
}

export interface OldestPending {
  id: number;
  connector: string;
  kind: string;
  attempts: number;
  createdAt: string;
  runAt: string;
  lastError: string | null;
  ageSeconds: number;
}

export interface Backlog {
  pending: number;
  /** Pending and due now (the rest wait for a retry backoff). */
  due: number;
  running: number;
  /** Running with an expired lease. */
  stuck: number;
  dead: number;
  deadByConnector: Record<string, number>;
  oldestPending: OldestPending | null;
}

export interface SystemStatus {
  database: { kind: 'pglite' | 'postgres'; describe: string };
  migrations: { known: number[]; applied: number[]; pending: number[]; unknown: number[] };
  /** Dispatchers with a recent heartbeat (this process or any other sharing the database). */
  dispatchers: number;
  backlog: Backlog;
  /** The database's clock when the status was read. */
  checkedAt: string;
}
