import { listMigrations, sql, type Database } from '../db/index.js';
import { iso } from './time.js';
import type { Backlog, SystemStatus } from './types.js';

/**
 * What the doctor needs from the database: migrations against this build, live dispatchers and the
 * backlog. A missing schema_migrations table counts as nothing applied (a fresh database).
 * `heartbeatWindowMs`: a dispatcher is live when it beat within this window (the runtime uses
 * max(30 s, JOB_LEASE_MS)).
 */
export async function systemStatus(db: Database, heartbeatWindowMs: number): Promise<SystemStatus> {
  const known = listMigrations().map((m) => m.version);
  const applied = await db
    .query<{ version: number }>(sql.listAppliedMigrations)
    .then((r) => r.rows.map((x) => Number(x.version)))
    .catch(async (err: unknown) => {
      const { rows } = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
      if (rows[0]?.t) throw err;
      return [] as number[];
    });
  const migrations = {
    known,
    applied,
    pending: known.filter((v) => !applied.includes(v)),
    unknown: applied.filter((v) => !known.includes(v)),
  };
  if (migrations.pending.length) {
    // The jobs and workers tables may not exist yet: report the schema, not a query error.
    return { database: { kind: db.kind, describe: db.describe }, migrations, dispatchers: 0, backlog: emptyBacklog(), checkedAt: new Date().toISOString() };
  }
  const [workers, backlog] = await Promise.all([
    db.query<{ n: number }>(sql.liveWorkers, ['dispatcher', heartbeatWindowMs]),
    readBacklog(db),
  ]);
  return { database: { kind: db.kind, describe: db.describe }, migrations, dispatchers: Number(workers.rows[0]?.n ?? 0), ...backlog };
}

async function readBacklog(db: Database): Promise<{ backlog: Backlog; checkedAt: string }> {
  const [summary, oldest] = await Promise.all([
    db.query<Record<string, unknown>>(sql.summarizeBacklog),
    db.query<Record<string, unknown>>(sql.oldestPendingJob),
  ]);
  const s = summary.rows[0]!;
  const deadByConnector = (s.dead_by_connector ?? {}) as Record<string, number>;
  const o = oldest.rows[0];
  return {
    checkedAt: iso(s.now),
    backlog: {
      pending: Number(s.pending),
      due: Number(s.due),
      running: Number(s.running),
      stuck: Number(s.stuck),
      dead: Object.values(deadByConnector).reduce((a, b) => a + Number(b), 0),
      deadByConnector,
      oldestPending: o
        ? {
            id: Number(o.id),
            connector: String(o.connector),
            kind: String(o.kind),
            attempts: Number(o.attempts),
            createdAt: iso(o.created_at),
            runAt: iso(o.run_at),
            lastError: (o.last_error as string | null) ?? null,
            ageSeconds: Math.max(0, Number(o.age_seconds)),
          }
        : null,
    },
  };
}

function emptyBacklog(): Backlog {
  return { pending: 0, due: 0, running: 0, stuck: 0, dead: 0, deadByConnector: {}, oldestPending: null };
}
