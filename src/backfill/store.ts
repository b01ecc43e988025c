import { hostname } from 'node:os';
import { sql, type Queryable } from '../db/index.js';
import type { BackfillCounts, BackfillKind, BackfillRun, CursorState, RunStatus } from './types.js';

/**
 * The backfill run table (migration 0008): one open run per source, its per-kind cursors and tallies.
 * Ownership: `owner` is host:pid; a run is taken over only when its owner stopped (status not running),
 * its heartbeat is older than HEARTBEAT_STALE_MS, or its owner is a dead process on this host.
 */
export const HEARTBEAT_MS = 10_000;
export const HEARTBEAT_STALE_MS = 60_000;

interface RunRow {
  id: string;
  source: 'stripe';
  status: RunStatus;
  since: Date | string;
  sync_crm: boolean;
  owner: string;
  heartbeat_at: Date | string;
  counts: BackfillCounts | string;
  error: string | null;
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
  cursors: Partial<Record<BackfillKind, CursorState>> | string;
}

export function thisOwner(): string {
  return `${hostname()}:${process.pid}`;
}

export async function findOpenRun(db: Queryable, source: 'stripe'): Promise<BackfillRun | undefined> {
  const { rows } = await db.query<RunRow>(sql.findOpenBackfillRun, [source]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** A run by id, or the newest of the source. */
export async function getRun(db: Queryable, id: string | undefined, source: 'stripe' = 'stripe'): Promise<BackfillRun | undefined> {
  const { rows } = await db.query<RunRow>(sql.getBackfillRun, [id ?? null, source]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function insertRun(db: Queryable, r: { id: string; since: Date; syncCrm: boolean; owner: string; now: Date }): Promise<boolean> {
  const { rows } = await db.query(sql.insertBackfillRun, [r.id, 'stripe', r.since, r.syncCrm, r.owner, r.now]);
  return rows.length === 1;
}

/** Takes over `run` exactly as read (its heartbeat); false when another process got there first. */
export async function claimRun(db: Queryable, run: BackfillRun, owner: string, now: Date, syncCrm: boolean): Promise<boolean> {
  const { rows } = await db.query(sql.claimBackfillRun, [run.id, run.heartbeatAt, owner, now, syncCrm]);
  return rows.length === 1;
}

/** Whether an open run may be taken over by `owner` now (see the file comment). */
export function isAbandoned(run: BackfillRun, now: Date, isAlive: (pid: number) => boolean = pidAlive): boolean {
  if (run.status !== 'running') return true;
  if (now.getTime() - new Date(run.heartbeatAt).getTime() > HEARTBEAT_STALE_MS) return true;
  const [host, pid] = splitOwner(run.owner);
  return host === hostname() && pid !== undefined && pid !== process.pid && !isAlive(pid);
}

export async function saveCursor(
  db: Queryable,
  r: { runId: string; owner: string; kind: BackfillKind; cursor: CursorState; counts: BackfillCounts; now: Date },
): Promise<boolean> {
  const { rows } = await db.query(sql.saveBackfillCursor, [r.runId, r.owner, r.kind, r.cursor.startingAfter ?? null, r.cursor.done, JSON.stringify(r.counts), r.now, r.cursor.seen]);
  return rows.length === 1;
}

export async function heartbeat(db: Queryable, runId: string, owner: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(sql.heartbeatBackfillRun, [runId, owner, now]);
  return rows.length === 1;
}

export async function finishRun(db: Queryable, r: { runId: string; owner: string; status: Exclude<RunStatus, 'running'>; error?: string; counts: BackfillCounts; now: Date }): Promise<void> {
  await db.query(sql.finishBackfillRun, [r.runId, r.owner, r.status, r.error ?? null, JSON.stringify(r.counts), r.now]);
}

function toRun(r: RunRow): BackfillRun {
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  const iso = (v: Date | string) => new Date(v).toISOString();
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    since: iso(r.since),
    syncCrm: r.sync_crm,
    owner: r.owner,
    heartbeatAt: iso(r.heartbeat_at),
    counts: json(r.counts),
    error: r.error,
    startedAt: iso(r.started_at),
    updatedAt: iso(r.updated_at),
    finishedAt: r.finished_at ? iso(r.finished_at) : null,
    cursors: json(r.cursors),
  };
}

function splitOwner(owner: string): [string, number | undefined] {
  const i = owner.lastIndexOf(':');
  if (i === -1) return [owner, undefined];
  const pid = Number(owner.slice(i + 1));
  return [owner.slice(0, i), Number.isInteger(pid) && pid > 0 ? pid : undefined];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
