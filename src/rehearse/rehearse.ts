import type { LifecycleState } from '../config/index.js';
import { sql, type Database } from '../db/index.js';
import type { Rule } from '../lifecycle/index.js';
import type { RecordDeps } from '../pipeline/index.js';
import type { Candidate } from './config.js';
import { compare, readSide, type Differences } from './diff.js';
import { replayInbox, type NotReplayed } from './replay.js';
import { createScratch, dropScratch, dropStaleScratch, inScratch, scratchName } from './scratch.js';

export interface RehearsalInput {
  since: Date;
  candidate: Candidate;
  /** The table and map in force (they decided what actually happened). */
  current: { table: readonly Rule[]; lifecycleMap: Readonly<Record<LifecycleState, string>> };
  record: Pick<RecordDeps, 'enabledConnectors' | 'maxAttempts'>;
  /** HubSpot's property for Handoff's lifecycle (HUBSPOT_STATE_PROPERTY). */
  stateProperty: string;
  signal?: AbortSignal;
  /** Called once with the number of events to replay, then with the number done after each batch. */
  onProgress?: (done: number, total: number) => void;
  now?: () => Date;
}

export interface RehearsalReport extends Differences {
  since: string;
  /** True when the candidate equals the configuration in force: any difference is then a replay defect. */
  selfCheck: boolean;
  candidate: { description?: string; changes: string[]; rules: number };
  replayed: { events: number; decidedByCandidate: number; notReplayed: NotReplayed[] };
  /** Customers whose state differs + jobs added + jobs dropped + customers whose CRM properties differ + events decided differently. */
  differences: number;
}

/**
 * A rehearsal: a scratch schema (every migration), the WHOLE stored inbox replayed into it in its original
 * order (events received before `since` with the current table, to rebuild the state the candidate starts
 * from; events since then with the candidate), the scratch schema compared with reality, and dropped
 * whatever happens (error, abort). Reality is only read. Events recorded while it runs are not replayed and
 * not compared (the inbox is fixed at its newest id when the rehearsal starts), nor are customers they
 * created; a known customer they changed meanwhile can show as a difference (read its trace).
 */
export async function rehearse(db: Database, input: RehearsalInput): Promise<RehearsalReport> {
  const now = input.now?.() ?? new Date();
  await dropStaleScratch(db, now);
  const { rows } = await db.query<{ total: number; candidate: number; last_id: number }>(sql.countRehearsalInbox, [input.since]);
  const { total, last_id } = rows[0]!;
  const lastId = Number(last_id);
  input.onProgress?.(0, total);

  const schema = scratchName(now);
  await createScratch(db, schema);
  try {
    const stats = await replayInbox(db, {
      schema,
      since: input.since,
      candidate: input.candidate.table,
      current: input.current.table,
      record: input.record,
      lastId,
      signal: input.signal,
      onProgress: (done) => input.onProgress?.(done, total),
    });
    const actual = await readSide(db, input.since, lastId);
    const rehearsed = await inScratch(db, schema, (tx) => readSide(tx, input.since, Number.MAX_SAFE_INTEGER));
    const diff = compare(actual, rehearsed, { stateProperty: input.stateProperty, actualMap: input.current.lifecycleMap, rehearsedMap: input.candidate.lifecycleMap });
    return {
      since: input.since.toISOString(),
      selfCheck: input.candidate.unchanged,
      candidate: { description: input.candidate.description, changes: input.candidate.changes, rules: input.candidate.table.length },
      replayed: stats,
      ...diff,
      differences: diff.customers.length + diff.jobs.added.length + diff.jobs.dropped.length + diff.crm.length + diff.decisions.length,
    };
  } finally {
    await dropScratch(db, schema);
  }
}
