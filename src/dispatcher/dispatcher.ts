import { setMaxListeners } from 'node:events';
import type { Ids } from '../clock.js';
import type { AppConfig, RateLimit } from '../config/index.js';
import type { CallMeter } from '../connectors/meter.js';
import type { Connector, ConnectorName, ConnectorResult, CustomerSnapshot, JobToRun } from '../connectors/types.js';
import { JOBS_CHANNEL, sql, type Database } from '../db/index.js';
import { ProviderError } from '../errors.js';
import { toStorable } from '../events/index.js';
import { unmetRequirement, type Requirement } from '../lifecycle/index.js';
import { followUpRows, type FollowUpRow } from './follow-ups.js';
import type { Logger, Metrics } from '../monitor/index.js';
import type { CircuitConfig } from './circuit.js';
import { ConnectorGate, type GateColumns } from './gate.js';
import { decide, describeError } from './retry-policy.js';

interface ClaimedRow {
  id: number;
  connector: ConnectorName;
  kind: string;
  idempotency_key: string;
  customer_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  created_at: Date;
}

/** claimJobs' rows of the claimed jobs' customers (snap_asked not null; the job rows carry nulls here). */
interface SnapshotColumns {
  snap_asked: string | null;
  snap_id: string | null;
  snap_email: string | null;
  snap_name: string | null;
  snap_lifecycle: CustomerSnapshot['lifecycle'] | null;
  snap_support: CustomerSnapshot['support'] | null;
  snap_identities: Record<string, string> | null;
}

/**
 * JSON of `value` that jsonb and text can hold (see toStorable: NUL removed, unpaired surrogates replaced).
 * JSON.stringify writes both only as \u escapes, so a value whose JSON has none is stored as it is, without
 * rebuilding it; anything that looks like one takes the full walk.
 */
function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  return /\\u(0000|d[89a-f])/i.test(json) ? JSON.stringify(toStorable(value)) : json;
}

function snapshotOf(r: SnapshotColumns): CustomerSnapshot {
  return { id: r.snap_id!, email: r.snap_email, name: r.snap_name, lifecycle: r.snap_lifecycle!, support: r.snap_support!, identities: r.snap_identities ?? {} };
}

interface Finish {
  id: number;
  status: 'done' | 'skipped' | 'dead' | 'pending';
  result: Record<string, unknown> | null;
  error: string | null;
  delay_ms: number;
  customerId: string;
  identities?: Record<string, string>;
  /** The attempt never reached the provider: don't count it. */
  uncount?: boolean;
  /** The claim this result belongs to (the attempts it returned): never applied to a later claim (finishJobs.sql). */
  attempts?: number;
  /** Done only: the connector's timeline line and the follow-up jobs to queue with it. */
  note?: string;
  followUps?: FollowUpRow[];
}

export interface DispatcherOptions {
  db: Database;
  connectors: ReadonlyMap<ConnectorName, Connector>;
  config: AppConfig['dispatcher'];
  logger: Logger;
  metrics: Metrics;
  ids: Ids;
  /** Completions are written in batches; this bounds how long a finished job waits to be recorded. */
  flushMs?: number;
  heartbeatMs?: number;
  /** How long stop() lets in-flight jobs run before aborting their provider calls. Default 20 s. */
  stopGraceMs?: number;
  /** Per-connector pacing shared through the database (config.rateLimits); absent = not paced. */
  rateLimits?: Partial<Record<ConnectorName, RateLimit>>;
  /** Circuit breaker and pause cool-down (config.circuit); default 5 failures, 30 s. */
  circuit?: CircuitConfig;
  /** connectorFingerprints(config): a restart with another configuration clears a pause or disable. */
  fingerprints?: ReadonlyMap<ConnectorName, string>;
}

/**
 * The outbox dispatcher. Invariants:
 * - claims commit BEFORE any provider call (no transaction is held across HTTP; on PGlite that would stall all writes);
 * - a claim is a lease: if this process dies, the job is claimed again once `leaseMs` has passed;
 * - completions are batched and only apply while this worker still holds the lease;
 * - NOTIFY is a wake-up hint; polling every `pollMs` finds everything regardless.
 * Delivery is at-least-once; connectors make it exactly-once in effect with provider idempotency.
 */
export class Dispatcher {
  readonly workerId: string;
  private running = false;
  private inFlight = 0;
  /** Claimed jobs waiting for a slot (config.prefetch): started in claim order as slots free. */
  private ready: Array<[ClaimedRow, CustomerSnapshot | undefined]> = [];
  private finishes: Finish[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private waiter?: () => void;
  /** Ends a claim-gap pause at once (stop(), or a finishing job once pauseEndsWhen holds). */
  private stopPause?: () => void;
  /** While a pause runs: ends it early when this holds after a job finishes. */
  private pauseEndsWhen?: () => boolean;
  /** A wake-up that arrived while the loop was busy; the next wait returns at once. */
  private woken = false;
  private loopDone?: Promise<void>;
  private unlisten?: () => Promise<void>;
  private heartbeatTimer?: NodeJS.Timeout;
  private beating: Promise<void> = Promise.resolve();
  private readonly hardStop = new AbortController();
  private idleWaiters: Array<() => void> = [];
  /** Pacing, circuits and pauses per connector (decided in the database, see gate.ts). */
  private readonly gate: ConnectorGate;

  constructor(private readonly o: DispatcherOptions) {
    this.workerId = `dispatcher-${o.ids.uuid()}`;
    const callsPerJob = new Map([...o.connectors.values()].filter((c) => (c.callsPerJob ?? 1) > 1).map((c) => [c.name, c.callsPerJob!] as const));
    this.gate = new ConnectorGate({ db: o.db, configured: o.connectors.keys(), callsPerJob, rateLimits: o.rateLimits, circuit: o.circuit, fingerprints: o.fingerprints, logger: o.logger });
    // Every provider call in flight listens on hardStop: up to `concurrency` at once is expected, not a leak.
    setMaxListeners(o.config.concurrency + 10, this.hardStop.signal);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.beat();
    // Beats well inside the lease, so renewals survive a missed beat or two.
    this.heartbeatTimer = setInterval(() => void this.beat(), this.o.heartbeatMs ?? Math.min(5000, Math.floor(this.o.config.leaseMs / 3)));
    this.heartbeatTimer.unref();
    this.unlisten = await this.o.db.listen(JOBS_CHANNEL, () => this.wake()).catch((err) => {
      this.o.logger.warn({ err: describeError(err) }, 'LISTEN unavailable; polling only');
      return undefined;
    });
    this.loopDone = this.loop();
  }

  /** Stops claiming, waits for in-flight jobs (bounded by their HTTP timeouts), records them, leaves. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    this.stopPause?.();
    await this.loopDone;
    // Jobs claimed ahead and not started go back to the queue now, not after their lease.
    await Promise.all(this.ready.splice(0).map((entry) => this.release(entry[0])));
    // In-flight jobs get `stopGraceMs` to finish; then their provider calls are aborted (recorded as a
    // retryable timeout), so a stop always completes before a supervisor's kill and loses no result.
    const grace = setTimeout(() => this.hardStop.abort(), this.o.stopGraceMs ?? 20_000);
    await this.idle();
    clearTimeout(grace);
    await this.flush();
    clearInterval(this.heartbeatTimer);
    await this.beating; // a beat in progress must not re-register us after we leave
    clearTimeout(this.flushTimer);
    if (this.finishes.length) {
      // Nothing lost for good: these jobs' leases expire and another worker runs them again.
      this.o.logger.error({ jobIds: this.finishes.map((f) => f.id) }, 'stopping with unrecorded job results; they will run again after their lease');
    }
    await this.unlisten?.();
    await this.o.db.query(sql.deleteWorker, [this.workerId]).catch(() => undefined);
  }

  /** Resolves when nothing is in flight and every completion is written. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return this.flush();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve)).then(() => this.flush());
  }

  /** Registers this worker as alive and renews the leases of the jobs it is running. */
  private beat(): Promise<void> {
    this.beating = this.beatOnce();
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    try {
      await this.o.db.query(sql.heartbeat, [this.workerId, 'dispatcher']);
      // Jobs still running, claimed ahead, or finished but not yet recorded keep their leases.
      if (this.inFlight > 0 || this.ready.length > 0 || this.finishes.length > 0) await this.o.db.query(sql.extendLeases, [this.workerId, this.o.config.leaseMs]);
    } catch (err) {
      this.o.logger.warn({ err: describeError(err) }, 'heartbeat failed');
    }
  }

  private async loop(): Promise<void> {
    const { concurrency, batchSize, pollMs } = this.o.config;
    // A claim is the dispatcher's most expensive statement, and costs about the same for 1 job as for 64. Two
    // patterns would make it claim one job at a time, so the next claim waits until claimGapMs after the last:
    // - the last claim found fewer jobs than it asked for: every wake-up after it (a NOTIFY per recorded event)
    //   would claim the one job that just arrived (measured at 200 events/s: 839 claims for 2,000 jobs, ~40 % of
    //   the database's time); waiting takes what arrived meanwhile in one go;
    // - only a few slots are free while jobs run (a backlog at full concurrency): each finishing job would free
    //   one slot and claim one job (measured on PGlite, Slack jobs answered in 10 ms: 2,939 claims for 3,000
    //   jobs, 3.3 ms each, the single connection busy with claims); waiting lets more slots free first.
    // Either costs a job at most claimGapMs of latency; a backlog with free slots (full claims) never waits. The second
    // wait ends as soon as lowWater slots are free: jobs that finish within the gap (a provider answering in 10 ms)
    // must not cap the drain at concurrency / claimGapMs (measured: 64 slots, 20 ms gap → 2,288–2,795 jobs/s against
    // a 6,400/s emulator ceiling, every slot idle half the time); a claim still takes at least lowWater jobs.
    const gapMs = this.o.config.claimGapMs;
    const lowWater = Math.max(1, Math.floor(Math.min(batchSize, concurrency) / 4));
    let lastClaimAt = Number.NEGATIVE_INFINITY;
    let drained = false;
    // Prefetch: jobs claimed ahead start the moment a slot frees, with no claim round trip in between, and claims
    // overlap running jobs. Measured (bench dispatch, 64 slots, batch 64, four A/B runs): on PostgreSQL a prefetch of
    // one batch drains no-op jobs 11-36 % faster and Slack jobs answered in 10 ms 10-27 % faster; on PGlite, whose
    // claims run on the dispatcher's own thread, the Slack drain was 6-13 % SLOWER, so its default is 0. Jobs claimed
    // ahead are leased and ordered like running ones; they start on their claim's customer snapshot, at most one job's
    // run later than without prefetch.
    const capacity = concurrency + (this.o.config.prefetch ?? (this.o.db.kind === 'postgres' ? batchSize : 0));
    while (this.running) {
      const free = capacity - this.inFlight - this.ready.length;
      if (free > 0 && (drained || (free < lowWater && this.inFlight + this.ready.length > 0))) {
        const rest = lastClaimAt + gapMs - performance.now();
        if (rest > 0) {
          await this.pause(rest, drained ? undefined : () => capacity - this.inFlight - this.ready.length >= lowWater);
          continue; // slots may have freed meanwhile
        }
      }
      const limit = Math.min(free, batchSize);
      let claimed: Array<[ClaimedRow, CustomerSnapshot | undefined]> = [];
      if (limit > 0) {
        lastClaimAt = performance.now();
        claimed = await this.claim(limit);
        drained = claimed.length < limit;
      }
      this.ready.push(...claimed);
      this.startReady();
      // A full batch with slots still free: more is probably due, claim again now. Otherwise wait for a
      // NOTIFY hint, a finishing job (frees a slot), a paced connector's next room or probe, or the poll interval.
      if (limit > 0 && claimed.length === limit && this.inFlight + this.ready.length < capacity) continue;
      await this.waitForWake(this.gate.sleepMs(pollMs));
    }
  }

  /**
   * Starts claimed jobs, in claim order, while slots are free. A job claimed ahead (config.prefetch) whose connector
   * stopped delivering since its claim (circuit open, paused, disabled) is given back instead of sent to a provider
   * known to be failing; a probe always runs.
   */
  private startReady(): void {
    const { concurrency } = this.o.config;
    while (this.inFlight < concurrency && this.ready.length > 0) {
      const [row, snapshot] = this.ready.shift()!;
      this.inFlight++;
      const run = this.gate.mayStart(row.connector, row.id) ? this.runOne(row, snapshot) : this.release(row);
      void run.finally(() => {
        this.inFlight--;
        this.startReady();
        if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((r) => r());
        if (this.pauseEndsWhen?.()) this.stopPause?.();
        this.wake();
      });
    }
  }

  /**
   * Gives a claimed job back without running it: pending again at once, its attempt uncounted, its pacing charge and
   * (if it was one) its connector's probe released. Never throws.
   */
  private async release(row: ClaimedRow): Promise<void> {
    await this.gate.settle(row.connector, row.id, undefined, undefined, 0, true);
    this.record({ id: row.id, customerId: row.customer_id, status: 'pending', result: null, error: null, delay_ms: 0, attempts: row.attempts, uncount: true });
  }

  /**
   * Claims up to `limit` due jobs with their customers' current state, in ONE statement committed at once
   * (paced and gated per connector, see claimJobs.sql). A claim that fails changes nothing: its jobs stay
   * queued and an effect never runs on a guess.
   */
  private async claim(limit: number): Promise<Array<[ClaimedRow, CustomerSnapshot | undefined]>> {
    const { leaseMs } = this.o.config;
    try {
      await this.gate.prepare(); // first claim only: the connectors' state rows
      const all = await this.o.db.query<ClaimedRow & GateColumns & SnapshotColumns>(sql.claimJobs, [this.workerId, leaseMs, limit, this.gate.claimParam(Math.max(0, this.o.config.concurrency - this.inFlight - this.ready.length))]).catch((err: unknown) => {
        this.gate.claimFailed();
        throw err;
      });
      const snapshots = new Map<string, CustomerSnapshot>();
      const rest: Array<ClaimedRow & GateColumns & SnapshotColumns> = [];
      for (const r of all.rows) {
        if (r.snap_asked !== null) snapshots.set(r.snap_asked, snapshotOf(r));
        else rest.push(r);
      }
      return this.gate.afterClaim(rest).map((r) => [r, snapshots.get(r.customer_id)]);
    } catch (err) {
      this.o.logger.error({ err: describeError(err) }, 'claim failed; retrying after the poll interval');
      return [];
    }
  }

  /**
   * Sleeps `ms`; stop() cuts it short, and so does a finishing job once `endsWhen()` holds (wake-ups are remembered
   * for the wait after the next claim).
   */
  private pause(ms: number, endsWhen?: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.stopPause = undefined;
        this.pauseEndsWhen = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.stopPause = end;
      this.pauseEndsWhen = endsWhen;
    });
  }

  private wake(): void {
    if (this.waiter) this.waiter();
    else this.woken = true;
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }

  private async runOne(row: ClaimedRow, snapshot: CustomerSnapshot | undefined): Promise<void> {
    const job: JobToRun = {
      id: row.id,
      connector: row.connector,
      kind: row.kind,
      idempotencyKey: row.idempotency_key,
      attempts: row.attempts,
      payload: row.payload ?? {},
    };
    const base = { id: row.id, customerId: row.customer_id, result: null, error: null, delay_ms: 0, attempts: row.attempts };
    let finish: Finish;
    const meter: CallMeter = { calls: 0 };
    let answer: ConnectorResult | undefined;
    let failure: unknown;
    try {
      const connector = this.o.connectors.get(row.connector);
      // A job with no customer (an alert message) runs with a null snapshot and no requirement check.
      const unmet = snapshot ? unmetRequirement(job.payload.requires as Requirement | undefined, snapshot) : row.customer_id === null ? undefined : 'customer record not found';
      let r: ConnectorResult;
      if (!connector) r = { status: 'skipped', reason: `connector ${row.connector} is not configured` };
      else if (unmet) r = { status: 'skipped', reason: unmet };
      else r = await connector.run(job, snapshot ?? null, this.hardStop.signal, meter);
      answer = r;
      finish =
        r.status === 'done'
          ? {
              ...base,
              customerId: snapshot?.id ?? row.customer_id,
              status: 'done',
              result: r.result ?? {},
              identities: r.identities,
              note: r.note,
              followUps: followUpRows(job, snapshot?.id ?? row.customer_id, r.facts, (name) => this.o.connectors.has(name)),
            }
          : { ...base, status: 'skipped', result: { skipped: r.reason } };
    } catch (err) {
      failure = err;
      const halt = err instanceof ProviderError ? err.halt : undefined;
      if (halt) {
        // The connector failed, not the job: it waits, uncounted, until its connector delivers again.
        finish = { ...base, status: 'pending', error: describeError(err), uncount: true };
        this.o.logger.warn({ jobId: row.id, connector: row.connector, action: 'wait', reason: halt.reason, variable: halt.variable }, 'job attempt failed: connector halted');
      } else {
        const v = decide(err, row.attempts, Date.now() - new Date(row.created_at).getTime(), {
          retryBaseMs: this.o.config.retryBaseMs,
          retryMaxMs: this.o.config.retryMaxMs,
          maxAttempts: row.max_attempts,
          maxAgeMs: this.o.config.maxAgeMs,
        });
        finish = v.action === 'retry' ? { ...base, status: 'pending', error: v.error, delay_ms: v.delayMs } : { ...base, status: 'dead', error: v.error };
        const log = v.action === 'dead' ? this.o.logger.error.bind(this.o.logger) : this.o.logger.warn.bind(this.o.logger);
        log({ jobId: row.id, connector: row.connector, attempts: row.attempts, action: v.action, delayMs: finish.delay_ms, error: v.error }, 'job attempt failed');
      }
    }
    // Before the result is recorded: a halted job must not be claimed again before its connector is paused.
    await this.gate.settle(row.connector, row.id, answer, failure, meter.calls, this.hardStop.signal.aborted);
    this.o.metrics.jobAttempts.inc({ connector: row.connector, outcome: finish.status === 'pending' ? 'retry' : finish.status });
    // Sync lag: queued (= the event's received_at: same transaction) → effect confirmed. Alert jobs have no event.
    if (finish.status === 'done' && row.customer_id !== null) this.o.metrics.syncLag.observe({ connector: row.connector }, (Date.now() - new Date(row.created_at).getTime()) / 1000);
    this.record(finish);
  }

  /** Buffers a completion; flushed when the batch is full or after flushMs. */
  private record(finish: Finish): void {
    this.finishes.push(finish);
    if (this.finishes.length >= this.o.config.batchSize) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), this.o.flushMs ?? 10);
  }

  /**
   * Writes buffered completions in one transaction. If the batch fails, each row is tried alone so one
   * bad row cannot block the others; a row that still fails is recorded without its provider result.
   * If nothing can be written (database down) the rows are kept and retried; their leases stay renewed.
   */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      const batch = this.finishes.splice(0);
      if (batch.length === 0) return;
      if (await this.write(batch)) return;
      const left: Finish[] = [];
      for (const f of batch) {
        if (left.length > 0) {
          left.push(f); // the database itself is failing: keep the rest for the next try
          continue;
        }
        // The follow-ups stay: the parent is done whether or not its answer could be stored.
        const bare: Finish = { ...f, result: null, identities: undefined, note: undefined, error: `${f.error ?? ''} (provider answer could not be stored)`.trim() };
        if (!(await this.write([f])) && !(await this.write([bare]))) left.push(f);
      }
      if (left.length) {
        this.o.logger.error({ jobs: left.length }, 'recording job results failed; will retry');
        this.finishes.unshift(...left);
        this.flushTimer ??= setTimeout(() => void this.flush(), 1000);
        this.flushTimer.unref();
      }
    });
    return this.flushing;
  }

  private async write(batch: Finish[]): Promise<boolean> {
    const finishParams = [this.workerId, storableJson(batch.map(({ id, status, result, error, delay_ms, uncount, attempts }) => ({ id, status, result, error, delay_ms, uncount: uncount ?? false, attempts })))];
    try {
      // Nothing to write beside the statuses (the common case): one statement is its own transaction, one round trip.
      if (!batch.some((f) => f.note || f.followUps?.length || (f.identities && Object.keys(f.identities).length))) {
        await this.o.db.query(sql.finishJobs, finishParams);
        return true;
      }
      await this.o.db.transaction(async (tx) => {
        const { rows: changed } = await tx.query<{ id: number }>(sql.finishJobs, finishParams);
        // Only completions this worker still owned count: a job whose lease was lost is someone else's now.
        const applied = new Set(changed.map((r) => Number(r.id)));
        const mine = batch.filter((f) => applied.has(f.id));
        for (const f of mine) {
          const pairs = Object.entries(toStorable(f.identities ?? {}));
          if (pairs.length) await tx.query(sql.linkProviderIdentities, [pairs.map((p) => p[0]), pairs.map((p) => p[1]), f.customerId]);
        }
        const notes = mine.filter((f) => f.note).map((f) => ({ job_id: f.id, customer_id: f.customerId, note: f.note!.slice(0, 500) }));
        if (notes.length) await tx.query(sql.insertJobNotes, [JSON.stringify(toStorable(notes))]);
        const followUps = mine.flatMap((f) => f.followUps ?? []);
        if (followUps.length) await tx.query(sql.queueFollowUps, [JSON.stringify(toStorable(followUps)), this.o.config.maxAttempts]);
      });
      return true;
    } catch (err) {
      this.o.logger.warn({ err: describeError(err), jobs: batch.length }, 'writing job results failed');
      return false;
    }
  }
}
