import type { Database } from '../db/index.js';
import { HandoffError } from '../errors.js';
import { record, type RecordDeps } from '../pipeline/index.js';
import { listCustomers, listInvoices, listSubscriptions, StripeApiError, type StripeClient } from '../stripe-api/index.js';
import { syncCrm } from './crm.js';
import { pageOutcomes, type PageResult } from './page.js';
import { claimRun, finishRun, findOpenRun, getRun, heartbeat, HEARTBEAT_MS, insertRun, isAbandoned, saveCursor, thisOwner } from './store.js';
import { synthesize } from './synthetic.js';
import { BACKFILL_TABLE } from './table.js';
import { emptyKindCounts, STRIPE_KINDS, type BackfillCounts, type BackfillKind, type BackfillRun, type CursorState, type StripeKind } from './types.js';

export interface BackfillDeps {
  db: Database;
  stripe: StripeClient;
  /** clock, ids and maxAttempts are used; the backfill queues no effects through record() (see table.ts). */
  record: Pick<RecordDeps, 'clock' | 'ids' | 'maxAttempts'>;
  /** --sync-crm needs the HubSpot connector configured in the process whose dispatcher will run the jobs. */
  hubspotEnabled: boolean;
  /** host:pid by default. */
  owner?: string;
}

export interface BackfillOptions {
  /** Invoices created at or after this are read (default: 90 days before now). Fixed for a run's lifetime. */
  since?: Date;
  syncCrm?: boolean;
  /** Abandon the open run (its cursors) and start a new one. */
  restart?: boolean;
  /** Events recorded in parallel within a page (default 4). Stripe reads are sequential. */
  concurrency?: number;
  /** Objects per Stripe request (default 100). */
  pageSize?: number;
  /** Aborting stops at the next page boundary; the run is left `interrupted`, resumable. */
  signal?: AbortSignal;
  onProgress?: (p: BackfillProgress) => void;
}

export interface BackfillProgress {
  runId: string;
  phase: BackfillKind | 'done';
  counts: BackfillCounts;
  cursors: BackfillRun['cursors'];
}

export interface Prepared {
  run: BackfillRun;
  /** True when an earlier, unfinished run is being continued from its cursors. */
  resumed: boolean;
  /** Reads, records and checkpoints until done (or interrupted / failed: the run row says which). */
  execute(): Promise<BackfillRun>;
}

export const DEFAULT_SINCE_DAYS = 90;

/** A request the backfill refuses before doing anything; `status` 409 (busy, conflicting options) or 422 (configuration). */
export class BackfillRefused extends HandoffError {
  readonly fix?: string;
  constructor(status: 409 | 422, message: string, fix?: string) {
    super('unprocessable', status, message);
    this.fix = fix;
  }
}

/**
 * Checks everything that can be checked before any write (HubSpot for --sync-crm, the Stripe key with one
 * read), then claims the source's open run (resume) or starts a new one. Throws BackfillRefused when a
 * live process owns the open run, or when an explicit --since contradicts the run being resumed.
 */
export async function prepareBackfill(deps: BackfillDeps, opts: BackfillOptions = {}): Promise<Prepared> {
  if (opts.syncCrm && !deps.hubspotEnabled) {
    throw new BackfillRefused(422, '--sync-crm needs the HubSpot connector, which is not configured', 'set HUBSPOT_ACCESS_TOKEN (where the backfill runs), or leave out --sync-crm');
  }
  await deps.stripe.call((s) => s.customers.list({ limit: 1 })); // a bad key fails here, before any write

  const owner = deps.owner ?? thisOwner();
  const now = deps.record.clock.now();
  const open = await findOpenRun(deps.db, 'stripe');
  let resumed = false;
  let id: string;
  if (open && !isAbandoned(open, now)) {
    throw new BackfillRefused(409, `a backfill (run ${open.id}) is already running in ${open.owner}, started ${open.startedAt}`, 'wait for it to finish (GET /api/admin/backfill shows its progress), or stop that process (Ctrl-C) first');
  }
  if (open && opts.restart) {
    if (!(await claimRun(deps.db, open, owner, now, false))) throw new BackfillRefused(409, `another process took over backfill run ${open.id} just now`, 'wait for it to finish');
    await finishRun(deps.db, { runId: open.id, owner, status: 'abandoned', error: 'abandoned by --restart', counts: open.counts, now });
  } else if (open) {
    if (opts.since && Math.abs(opts.since.getTime() - Date.parse(open.since)) >= 1000) {
      throw new BackfillRefused(409, `the unfinished backfill run ${open.id} reads invoices since ${open.since}, not ${opts.since.toISOString()}`, 'run without --since to resume it, or add --restart to start over with the new --since');
    }
    if (!(await claimRun(deps.db, open, owner, now, opts.syncCrm === true))) throw new BackfillRefused(409, `another process resumed backfill run ${open.id} just now`, 'wait for it to finish');
    resumed = true;
  }
  if (resumed) {
    id = open!.id;
  } else {
    id = deps.record.ids.uuid();
    const since = opts.since ?? new Date(now.getTime() - DEFAULT_SINCE_DAYS * 86_400_000);
    if (!(await insertRun(deps.db, { id, since, syncCrm: opts.syncCrm === true, owner, now }))) {
      throw new BackfillRefused(409, 'another backfill started just now', 'wait for it to finish');
    }
  }
  const run = (await getRun(deps.db, id))!;
  return { run, resumed, execute: () => execute(deps, opts, run, owner) };
}

async function execute(deps: BackfillDeps, opts: BackfillOptions, run: BackfillRun, owner: string): Promise<BackfillRun> {
  const { db } = deps;
  const counts: BackfillCounts = structuredClone(run.counts);
  const cursors = structuredClone(run.cursors);
  const recordDeps: RecordDeps = { ...deps.record, table: BACKFILL_TABLE, enabledConnectors: new Set() };
  const created = new Set<string>();
  const changed = new Set<string>();
  const base = { created: counts.customersCreated ?? 0, changed: counts.customersChanged ?? 0 };
  const since = Math.floor(Date.parse(run.since) / 1000);
  const pageSize = opts.pageSize ?? 100;
  let lost = false;
  const beat = setInterval(() => {
    heartbeat(db, run.id, owner, deps.record.clock.now()).then(
      (ok) => void (lost ||= !ok),
      () => undefined, // a missed beat is harmless; the checkpoint reports a lost run
    );
  }, HEARTBEAT_MS);
  beat.unref();

  const progress = (phase: BackfillProgress['phase']) => opts.onProgress?.({ runId: run.id, phase, counts: structuredClone(counts), cursors: structuredClone(cursors) });
  const checkpoint = async (kind: BackfillKind, cursor: CursorState) => {
    cursors[kind] = cursor;
    counts.customersCreated = base.created + created.size;
    counts.customersChanged = base.changed + [...changed].filter((c) => !created.has(c)).length;
    if (lost || !(await saveCursor(db, { runId: run.id, owner, kind, cursor, counts, now: deps.record.clock.now() }))) {
      lost = true;
      throw new BackfillRefused(409, `backfill run ${run.id} was taken over by another process`, 'let that process finish it');
    }
    progress(kind);
    if (opts.signal?.aborted) throw new Interrupted();
  };

  const list = (kind: StripeKind, after: string | undefined): AsyncIterable<{ id: string }> => {
    if (kind === 'customers') return listCustomers(deps.stripe, { startingAfter: after, pageSize });
    if (kind === 'subscriptions') return listSubscriptions(deps.stripe, { startingAfter: after, pageSize, status: 'all', expandCustomer: true });
    return listInvoices(deps.stripe, { startingAfter: after, pageSize, createdGte: since });
  };

  const readKind = async (kind: StripeKind) => {
    let cursor: CursorState = cursors[kind] ?? { startingAfter: null, done: false, seen: 0 };
    if (cursor.done) return;
    const tally = (counts[kind] ??= emptyKindCounts());
    progress(kind);
    for (let restarted = false; ; restarted = true) {
      try {
        let page: Array<Record<string, unknown> & { id: string }> = [];
        const flush = async () => {
          const result = await recordPage(deps.db, recordDeps, kind, page, opts.concurrency ?? 4);
          addPage(tally, result, created, changed);
          cursor = { startingAfter: page[page.length - 1]!.id, done: false, seen: cursor.seen + page.length };
          page = [];
          await checkpoint(kind, cursor);
        };
        for await (const o of list(kind, cursor.startingAfter ?? undefined)) {
          page.push(o as Record<string, unknown> & { id: string });
          if (page.length >= pageSize) await flush();
        }
        if (page.length) await flush();
        await checkpoint(kind, { ...cursor, done: true });
        return;
      } catch (err) {
        // The cursor's object was deleted in Stripe since the last checkpoint: this kind starts over
        // (everything already recorded comes back as duplicates).
        if (!restarted && err instanceof StripeApiError && err.param === 'starting_after') {
          cursor = { startingAfter: null, done: false, seen: cursor.seen };
          continue;
        }
        throw err;
      }
    }
  };

  try {
    for (const kind of STRIPE_KINDS) await readKind(kind);
    if (run.syncCrm || opts.syncCrm) {
      counts.crm ??= { customers: 0, queued: 0, alreadyQueued: 0, noEmail: 0 };
      await syncCrm(db, { maxAttempts: deps.record.maxAttempts }, cursors.crm, counts.crm, checkpoint);
    }
    await finishRun(db, { runId: run.id, owner, status: 'done', counts, now: deps.record.clock.now() });
    progress('done');
  } catch (err) {
    if (!lost) {
      const interrupted = err instanceof Interrupted;
      await finishRun(db, {
        runId: run.id,
        owner,
        status: interrupted ? 'interrupted' : 'failed',
        error: interrupted ? undefined : errorText(err),
        counts,
        now: deps.record.clock.now(),
      }).catch(() => undefined);
    }
    if (!(err instanceof Interrupted)) throw err;
  } finally {
    clearInterval(beat);
  }
  return (await getRun(db, run.id))!;
}

/** Record one page of objects (`concurrency` transactions at a time) and compare the customers' state around it. */
async function recordPage(db: Database, deps: RecordDeps, kind: StripeKind, objects: ReadonlyArray<Record<string, unknown>>, concurrency: number): Promise<PageResult> {
  const made = objects.map((o) => synthesize(kind, o));
  return pageOutcomes(db, made, concurrency, (s) => record(db, s.domain, s.event, deps));
}

function addPage(t: NonNullable<BackfillCounts['customers']>, r: PageResult, created: Set<string>, changed: Set<string>): void {
  t.seen += r.seen;
  t.applied += r.applied;
  t.stale += r.stale;
  t.ignored += r.ignored;
  t.duplicate += r.duplicate;
  t.skipped += r.skipped;
  for (const id of r.created) created.add(id);
  for (const id of r.changed) changed.add(id);
}

class Interrupted extends Error {}

function errorText(err: unknown): string {
  if (err instanceof StripeApiError) return `${err.message}${err.fix ? ` — ${err.fix}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
