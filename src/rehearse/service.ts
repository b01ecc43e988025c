import { DEFAULT_HUBSPOT_LIFECYCLE_MAP, type AppConfig, type LifecycleState } from '../config/index.js';
import type { Database } from '../db/index.js';
import { BadRequestError } from '../errors.js';
import { STATE_TABLE, type Rule } from '../lifecycle/index.js';
import type { RecordDeps } from '../pipeline/index.js';
import { CandidateError, parseCandidate, type Candidate } from './config.js';
import { rehearse, type RehearsalReport } from './rehearse.js';

/** HubSpot's property for Handoff's lifecycle when HubSpot is not configured (HUBSPOT_STATE_PROPERTY's default). */
const DEFAULT_STATE_PROPERTY = 'handoff_lifecycle';

export interface Current {
  table: readonly Rule[];
  lifecycleMap: Readonly<Record<LifecycleState, string>>;
}

/** The configuration in force: the built-in table and this process's HubSpot lifecycle map. */
export function currentOf(config: Pick<AppConfig, 'hubspot'>): Current {
  return { table: STATE_TABLE, lifecycleMap: config.hubspot?.lifecycleMap ?? DEFAULT_HUBSPOT_LIFECYCLE_MAP };
}

/**
 * `--since`: an ISO-8601 date or time ("2026-11-01", "2026-11-01T12:00:00Z"), or a span back from now
 * ("7d", "12h", "30m"). Throws BadRequestError naming the accepted forms.
 */
export function parseSince(raw: unknown, now: Date): Date {
  if (typeof raw !== 'string' || raw.trim() === '') throw new BadRequestError('since is required: an ISO-8601 date or time (2026-11-01) or a span such as 7d, 12h, 30m');
  const s = raw.trim();
  const span = /^(\d{1,6})([dhm])$/.exec(s);
  if (span) return new Date(now.getTime() - Number(span[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2] as 'd' | 'h' | 'm']);
  const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) ? new Date(s.length === 10 ? `${s}T00:00:00Z` : s) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`since ${JSON.stringify(s.slice(0, 60))} is not a date: use an ISO-8601 date or time (2026-11-01, 2026-11-01T12:00:00Z) or a span such as 7d, 12h, 30m`);
  return d;
}

/** The candidate, or a BadRequestError whose details name each bad field (`config.rules.change.x.to`). */
export function candidateOf(value: unknown, current: Current): Candidate {
  try {
    return parseCandidate(value, current);
  } catch (err) {
    if (err instanceof CandidateError) throw new BadRequestError(describeCandidateError(err), err.details);
    throw err;
  }
}

/** "invalid rehearsal config: rules.change.refund.to: unknown lifecycle state …; …" (paths in one line). */
export function describeCandidateError(err: CandidateError): string {
  return `${err.message}: ${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')}`;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** One rehearsal on this database with this process's configuration (the admin route and the CLI). */
export function runRehearsal(
  db: Database,
  config: Pick<AppConfig, 'hubspot'>,
  record: Pick<RecordDeps, 'enabledConnectors' | 'maxAttempts'>,
  input: { since: Date; candidate: Candidate },
  opts: RunOptions = {},
): Promise<RehearsalReport> {
  return rehearse(db, {
    since: input.since,
    candidate: input.candidate,
    current: currentOf(config),
    record,
    stateProperty: config.hubspot?.stateProperty ?? DEFAULT_STATE_PROPERTY,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
}
