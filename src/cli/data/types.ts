import type { CreatedKey, CustomerTrace, JobFilter, JobSummary, KeySummary, NewKeyInput, RetriedJob, SystemStatus } from '../../admin/index.js';

/**
 * How a command reads and changes Handoff's data. Two implementations with identical answers:
 * direct (src/db + src/admin on a database this process opened) and api (a running server's
 * /api/admin, for an embedded PGlite database that server owns). connect.ts chooses.
 */
export interface HandoffData {
  /** Where the data came from, for humans: "the admin API at http://…", "PostgreSQL at …". */
  readonly via: string;
  status(): Promise<SystemStatus>;
  listJobs(filter: JobFilter): Promise<JobSummary[]>;
  retryJob(id: number): Promise<RetriedJob>;
  retryDeadJobs(connector?: string): Promise<RetriedJob[]>;
  createKey(input: NewKeyInput): Promise<CreatedKey>;
  listKeys(): Promise<KeySummary[]>;
  revokeKey(ref: string): Promise<KeySummary>;
  trace(ref: string): Promise<CustomerTrace>;
  close(): Promise<void>;
}
