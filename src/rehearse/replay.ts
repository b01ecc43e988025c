import { execute } from '../chatbot/index.js';
import type { Clock, Ids } from '../clock.js';
import { sql, type Database, type Tx } from '../db/index.js';
import type { Rule } from '../lifecycle/index.js';
import { recordIn, type RecordDeps } from '../pipeline/index.js';
import { rebuildEvent, type StoredDecision, type StoredEvent } from './events.js';
import { inScratch } from './scratch.js';

/** Stored events read per page (one query on the live schema). */
export const REPLAY_PAGE = 200;
/**
 * How long one scratch transaction may run before it commits and the loop yields to the event loop.
 * Embedded PGlite is ONE connection in this thread, shared with the live pipeline: while a transaction runs,
 * no webhook is recorded and no timer or socket is served. On PostgreSQL the events' advisory locks (the
 * same keys as live events of those customers) are held until commit. Either wait stays this short.
 */
export const TX_BUDGET_MS = 50;

export interface ReplayInput {
  schema: string;
  since: Date;
  /** Decides events received at or after `since`. */
  candidate: readonly Rule[];
  /** Decides the events before `since`: they rebuild the state the candidate starts from. */
  current: readonly Rule[];
  record: Pick<RecordDeps, 'enabledConnectors' | 'maxAttempts'>;
  /** Replays inbox ids up to this one (fixed when the rehearsal starts). */
  lastId: number;
  signal?: AbortSignal;
  onProgress?: (done: number) => void;
}

export interface NotReplayed {
  source: string;
  eventId: string;
  type: string;
  reason: string;
}

export interface ReplayStats {
  events: number;
  decidedByCandidate: number;
  notReplayed: NotReplayed[];
}

export class RehearsalAborted extends Error {
  constructor() {
    super('the rehearsal was interrupted; its scratch schema was dropped');
    this.name = 'RehearsalAborted';
  }
}

/**
 * Replays the stored inbox, in the order it was recorded, through recordIn into the scratch schema.
 * Deterministic: each event is decided at its original receive time, and customer ids come from a counter,
 * so replaying twice writes the same rows. Nothing leaves: jobs are only rows in the scratch schema (the
 * dispatcher reads the live `jobs` table; the wake-up after each commit only makes it look once more and find nothing).
 * Helpdesk tickets: the pipeline reads what the dispatcher did (a ticket job still queued holds a resolution;
 * the ticket it created is a linked identity). So before each helpdesk event, every real create_ticket job
 * that had ended by then ends the same way in the scratch schema (its ticket linked to the customer of the
 * SAME job there), if the rehearsal queued that job too; otherwise the ticket's webhooks would find nobody.
 */
export async function replayInbox(db: Database, input: ReplayInput): Promise<ReplayStats> {
  const ids = counterIds();
  const tickets = await ticketJobOutcomes(db);
  const stats: ReplayStats = { events: 0, decidedByCandidate: 0, notReplayed: [] };
  let after = 0;
  for (;;) {
    if (input.signal?.aborted) throw new RehearsalAborted();
    const { rows } = await db.query<StoredEvent>(sql.listRehearsalInbox, [after, input.lastId, REPLAY_PAGE]);
    if (rows.length === 0) break;
    const decisions = await chatbotDecisions(db, rows);
    for (let i = 0; i < rows.length; ) {
      if (input.signal?.aborted) throw new RehearsalAborted();
      await inScratch(db, input.schema, async (tx) => {
        const began = performance.now();
        do {
          const row = rows[i++]!;
          const receivedAt = new Date(row.received_at);
          if (row.source === 'zendesk') await tickets.applyUpTo(tx, receivedAt);
          const rebuilt = rebuildEvent(row, decisions);
          if (rebuilt.kind === 'skip') {
            stats.notReplayed.push({ source: row.source, eventId: row.event_id, type: row.type, reason: rebuilt.reason });
            continue;
          }
          const byCandidate = receivedAt >= input.since;
          const clock: Clock = { now: () => receivedAt };
          const deps: RecordDeps = { ...input.record, clock, ids, table: byCandidate ? input.candidate : input.current };
          const inboxId =
            rebuilt.kind === 'chatbot'
              ? (await execute(tx, rebuilt.input, deps, rebuilt.rule)).inboxId
              : (await recordIn(tx, rebuilt.event, row.payload, deps)).inboxId;
          if (inboxId !== undefined) await tx.query(sql.setRehearsedReceivedAt, [inboxId, receivedAt]);
          stats.events += 1;
          if (byCandidate) stats.decidedByCandidate += 1;
        } while (i < rows.length && performance.now() - began < TX_BUDGET_MS);
      });
      input.onProgress?.(stats.events + stats.notReplayed.length);
      // A macrotask, not a microtask: pending sockets and timers (the live pipeline) run before the next transaction.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    after = Number(rows[rows.length - 1]!.id);
  }
  return stats;
}

/** Seeded ids: customer n of the rehearsal is always the same id. */
function counterIds(): Ids {
  let n = 0;
  return {
    uuid: () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`,
    token: () => `rehearsal-token-${++n}`,
  };
}

async function chatbotDecisions(db: Database, rows: StoredEvent[]): Promise<Map<string, StoredDecision>> {
  const wanted = rows.filter((r) => r.source === 'chatbot').map((r) => r.event_id);
  if (wanted.length === 0) return new Map();
  const { rows: found } = await db.query<StoredDecision>(sql.listRehearsalDecisions, [wanted]);
  return new Map(found.map((d) => [d.id, d]));
}

async function ticketJobOutcomes(db: Database) {
  const { rows } = await db.query<{ idempotency_key: string; status: string; finished_at: Date; ticket_id: string | null }>(sql.listTicketJobOutcomes);
  let next = 0;
  return {
    /** Every real ticket job that had ended by `at` ends in the scratch schema too. */
    async applyUpTo(tx: Tx, at: Date) {
      for (; next < rows.length && new Date(rows[next]!.finished_at) <= at; next++) {
        const j = rows[next]!;
        await tx.query(sql.finishRehearsedTicketJob, [j.idempotency_key, j.status, j.finished_at, j.ticket_id]);
      }
    },
  };
}
