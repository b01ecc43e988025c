import type { SystemStatus } from '../../admin/index.js';
import type { AppConfig } from '../../config/index.js';
import { connectData } from '../data/connect.js';
import { CliError } from '../errors.js';
import { duration, oneLine, plural } from '../format.js';
import { fail, pass, skip, type CheckResult, type Thresholds } from './types.js';

const BACKLOG_TITLES = { pending: 'backlog: oldest pending job', dead: 'backlog: dead letters', stuck: 'backlog: stuck leases' } as const;

/**
 * Database reachable, migrations current, a dispatcher alive, and the backlog within thresholds. Reads
 * through the same data access as every command (a server's admin API when it owns an embedded database).
 */
export async function checkData(config: AppConfig, serverUrl: string | undefined, t: Thresholds): Promise<CheckResult[]> {
  let status: SystemStatus;
  let via: string;
  try {
    const data = await connectData(config, { url: serverUrl, allowPendingMigrations: true });
    try {
      via = data.via;
      status = await data.status();
    } finally {
      await data.close();
    }
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const reason = 'database not reachable';
    return [
      fail('database', 'database', err.message, err.fix ?? 'see the message'),
      skip('migrations', 'migrations', reason),
      skip('dispatcher', 'dispatcher', reason),
      ...Object.entries(BACKLOG_TITLES).map(([k, title]) => skip(`backlog.${k}`, title, reason)),
    ];
  }
  const out: CheckResult[] = [pass('database', 'database', `${status.database.describe} answers${via === status.database.describe ? '' : ` (through ${via})`}`)];
  const m = status.migrations;
  if (m.pending.length) {
    out.push(fail('migrations', 'migrations', `pending: ${m.pending.join(', ')}`, 'run "handoff migrate" (Handoff also migrates when it starts)'));
    const reason = 'schema not current';
    out.push(skip('dispatcher', 'dispatcher', reason), ...Object.entries(BACKLOG_TITLES).map(([k, title]) => skip(`backlog.${k}`, title, reason)));
    return out;
  }
  out.push(
    m.unknown.length
      ? fail('migrations', 'migrations', `the database has migrations this build does not know (${m.unknown.join(', ')}): a newer Handoff migrated it`, 'run the newer Handoff version here too')
      : pass('migrations', 'migrations', `current (${plural(m.applied.length, 'migration')} applied)`),
  );
  out.push(
    status.dispatchers > 0
      ? pass('dispatcher', 'dispatcher', `${plural(status.dispatchers, 'dispatcher')} with a recent heartbeat`)
      : fail('dispatcher', 'dispatcher', 'no dispatcher has a recent heartbeat: queued side effects are not being delivered', 'start one: handoff start (web + dispatcher) or handoff worker'),
  );
  out.push(...backlogChecks(status, t));
  return out;
}

function backlogChecks(s: SystemStatus, t: Thresholds): CheckResult[] {
  const b = s.backlog;
  const limit = duration(t.maxPendingAgeMs / 1000);
  const o = b.oldestPending;
  const pending = !o
    ? pass('backlog.pending', BACKLOG_TITLES.pending, 'no pending jobs')
    : o.ageSeconds * 1000 <= t.maxPendingAgeMs
      ? pass('backlog.pending', BACKLOG_TITLES.pending, `job #${o.id} has waited ${duration(o.ageSeconds)} (limit ${limit}); ${plural(b.pending, 'pending job')}`)
      : fail(
          'backlog.pending',
          BACKLOG_TITLES.pending,
          `job #${o.id} ${o.connector} ${o.kind} has waited ${duration(o.ageSeconds)} (limit ${limit}) after ${plural(o.attempts, 'attempt')}` +
            `${o.lastError ? `; last error: ${oneLine(o.lastError, 200)}` : ''}; ${plural(b.pending, 'pending job')}`,
          'handoff jobs --status pending shows what waits and why: a provider outage (see the connector checks) or a stopped dispatcher delays jobs',
        );
  const byConnector = Object.entries(b.deadByConnector).map(([c, n]) => `${c} ${n}`).join(', ');
  const dead =
    b.dead <= t.maxDead
      ? pass('backlog.dead', BACKLOG_TITLES.dead, b.dead ? `${b.dead} (limit ${t.maxDead})` : 'none')
      : fail(
          'backlog.dead',
          BACKLOG_TITLES.dead,
          `${plural(b.dead, 'dead job')} (${byConnector}; limit ${t.maxDead})`,
          'read their last errors with handoff jobs --status dead, fix the cause, then handoff jobs retry --all-dead',
        );
  const stuck =
    b.stuck <= t.maxStuck
      ? pass('backlog.stuck', BACKLOG_TITLES.stuck, b.stuck ? `${b.stuck} (limit ${t.maxStuck})` : 'none')
      : fail(
          'backlog.stuck',
          BACKLOG_TITLES.stuck,
          `${plural(b.stuck, 'running job')} whose lease expired (limit ${t.maxStuck}): their worker stopped mid-job`,
          'a live dispatcher claims them again by itself; if they stay, check the dispatcher line and handoff jobs --status stuck',
        );
  return [pending, dead, stuck];
}
