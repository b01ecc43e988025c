/** One line of `handoff doctor`. */
export interface CheckResult {
  /** Stable id for --json and the report: "config", "backlog.dead", "connector.hubspot", "dns.spf", … */
  id: string;
  title: string;
  /** skip: not run because something it needs failed first (that failure is its own line). */
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  /** What to do, for a failed check. */
  fix?: string;
}

export interface Thresholds {
  /** The oldest pending job may have waited this long (default 10 min). */
  maxPendingAgeMs: number;
  /** Dead letters tolerated (default 0). */
  maxDead: number;
  /** Running jobs with an expired lease tolerated (default 0). */
  maxStuck: number;
  /** A TLS certificate must stay valid at least this many days (default 14). */
  minCertDays: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { maxPendingAgeMs: 10 * 60_000, maxDead: 0, maxStuck: 0, minCertDays: 14 };

export const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'pass', detail });
export const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });
