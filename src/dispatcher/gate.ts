import type { RateLimit } from '../config/index.js';
import { CONNECTOR_NAMES, type ConnectorName } from '../connectors/types.js';
import type { Queryable } from '../db/index.js';
import type { Logger } from '../monitor/index.js';
import { Circuit, outcomeOf, type CircuitConfig } from './circuit.js';
import { ensureConnectorStates, type ConnectorStatus } from './connector-state.js';
import { reservation, slotMs, WindowLedger } from './rate-limit.js';

export const DEFAULT_CIRCUIT: CircuitConfig = { failureThreshold: 5, cooldownMs: 30_000 };

export interface GateOptions {
  db: Queryable;
  /** The configured connectors: only these are paced and gated (others' jobs are skipped without a call). */
  configured: Iterable<ConnectorName>;
  /** Per connector; absent = not paced. */
  rateLimits?: Partial<Record<ConnectorName, RateLimit>>;
  /**
   * Connector.callsPerJob of the connectors that send more than one request per job: a paced one's jobs are charged
   * that many calls while they run (rate-limit.ts), and none is claimed ahead of a free slot.
   */
  callsPerJob?: ReadonlyMap<ConnectorName, number>;
  circuit?: CircuitConfig;
  /** connectorFingerprints(config): lets a restart with another configuration clear a halt. */
  fingerprints?: ReadonlyMap<ConnectorName, string>;
  logger: Logger;
}

/** The extra columns claimJobs returns: on job rows `probe`; on one row per gated connector (id null) its state. */
export interface GateColumns {
  id: number | null;
  connector: ConnectorName;
  probe: boolean | null;
  gate_status: ConnectorStatus | null;
  gate_failures: number | null;
  slot_at: number | null;
  now_ms: number | null;
  wait_ms: number | null;
}

/**
 * The dispatcher's side of pacing and circuits: builds the claim's connector parameter, reads back
 * which jobs are probes and how long until a connector may run again, and records each run's outcome.
 * The decisions themselves are made in the database (claimJobs.sql and the connector_state
 * statements), so every dispatcher sharing it sees and enforces the same state.
 */
export class ConnectorGate {
  private readonly configured: ReadonlySet<ConnectorName>;
  private readonly circuit: Circuit;
  private readonly ledger = new WindowLedger();
  private readonly probes = new Set<number>();
  private ensured = false;
  /** Until when nothing more can be claimed for some connector that waits (ms, from the last claim). */
  private waitMs: number | undefined;
  /** Local time when the pending claim was sent (the ledger's clock offset is measured from it). */
  private sentAt = 0;

  constructor(private readonly o: GateOptions) {
    this.configured = new Set(o.configured);
    const fingerprints = new Map([...this.configured].map((c) => [c, o.fingerprints?.get(c) ?? null] as const));
    this.circuit = new Circuit(o.db, o.circuit ?? DEFAULT_CIRCUIT, fingerprints, o.logger);
  }

  /**
   * Before a claim: creates the configured connectors' rows (first claim, or after a claim found one
   * missing) and clears halts recorded under another configuration. Throws if the database does.
   */
  async prepare(): Promise<void> {
    if (this.ensured || this.configured.size === 0) return;
    const fps = new Map([...this.configured].map((c) => [c, this.o.fingerprints?.get(c) ?? null] as const));
    await ensureConnectorStates(this.o.db, fps, this.o.logger);
    this.ensured = true;
  }

  /**
   * claimJobs' $4, carrying the window moves of this dispatcher's paced jobs (rate-limit.ts). One claim
   * at a time: `afterClaim` commits the moves, `claimFailed` forgets them (the database is unchanged).
   * `slotsFree`: the free slots, the most a connector of several requests per job (callsPerJob) may claim (the
   * claim's own limit may include jobs claimed ahead).
   */
  claimParam(slotsFree: number): string {
    const updates = this.ledger.prepare((c) => {
      const limit = this.o.rateLimits?.[c];
      return limit ? slotMs(limit) : undefined;
    });
    this.sentAt = Date.now();
    const param = CONNECTOR_NAMES.map((connector) => {
      const gated = this.configured.has(connector);
      const limit = gated ? this.o.rateLimits?.[connector] : undefined;
      const u = limit ? updates.get(connector) : undefined;
      return {
        connector,
        gated,
        calls: limit?.tokens ?? null,
        window_ms: limit?.intervalMs ?? null,
        reserve: this.reservationOf(connector) ?? 1,
        fingerprint: this.o.fingerprints?.get(connector) ?? null,
        cap: (this.o.callsPerJob?.get(connector) ?? 1) > 1 ? slotsFree : null,
        charged: u?.charged ?? 0,
        settled: u?.settled ?? [],
        done: u?.done ?? [],
      };
    });
    return JSON.stringify(param);
  }

  /** The calls each running job of `connector` holds in its window (rate-limit.ts); undefined = not paced. */
  private reservationOf(connector: ConnectorName): number | undefined {
    const limit = this.o.rateLimits?.[connector];
    return limit && reservation(limit, this.o.callsPerJob?.get(connector));
  }

  claimFailed(): void {
    this.ledger.drop();
  }

  /** Splits claimJobs' rows: returns the job rows, keeps the connector rows' news. */
  afterClaim<T extends GateColumns>(rows: T[]): T[] {
    const jobs: T[] = [];
    let wait: number | undefined;
    const slots = new Map<ConnectorName, number>();
    let dbNow: number | undefined;
    for (const r of rows) {
      if (r.id !== null) continue;
      if (r.slot_at !== null) slots.set(r.connector, r.slot_at);
      if (r.now_ms !== null) dbNow = r.now_ms;
    }
    this.ledger.commit(slots, dbNow, this.sentAt);
    for (const r of rows) {
      if (r.id !== null) {
        const slot = slots.get(r.connector);
        const reserved = this.reservationOf(r.connector);
        if (slot !== undefined && reserved !== undefined) this.ledger.hold(r.id, r.connector, slot, reserved);
        if (r.probe) {
          this.probes.add(r.id);
          this.o.logger.info({ connector: r.connector, jobId: r.id }, 'connector probe: one job tries the provider');
        }
        jobs.push(r);
        continue;
      }
      if (r.gate_status === null) {
        this.ensured = false; // its row is missing (a restored or emptied table): create it, claim again soon
        wait = 0;
        continue;
      }
      this.circuit.known.set(r.connector, { status: r.gate_status, failures: r.gate_failures ?? 0 });
      if (r.wait_ms !== null) wait = Math.min(wait ?? Infinity, Math.max(0, r.wait_ms));
    }
    this.waitMs = wait;
    return jobs;
  }

  /**
   * Whether a job claimed a moment ago may still start: it is its connector's probe, or the connector was delivering
   * (closed circuit) when last seen. False = give it back: the circuit opened, or the connector paused, since the claim.
   */
  mayStart(connector: ConnectorName, jobId: number): boolean {
    if (this.probes.has(jobId)) return true;
    const k = this.circuit.known.get(connector);
    return k === undefined || k.status === 'closed';
  }

  /**
   * How long the loop may sleep when nothing else wakes it: the poll interval, or sooner when a paced
   * connector gets room or a probe falls due. At least 10 ms, so a fast limit cannot spin the loop.
   */
  sleepMs(pollMs: number): number {
    return this.waitMs === undefined ? pollMs : Math.min(pollMs, Math.max(10, Math.ceil(this.waitMs)));
  }

  /**
   * After a run: notes the calls it made (counted at the next claim) and records what the run says
   * about the connector. `result` is the connector's answer, or undefined when it threw `err`. Never throws.
   */
  async settle(
    connector: ConnectorName,
    jobId: number,
    result: { status: 'done' | 'skipped' } | undefined,
    err: unknown,
    calls: number,
    aborted: boolean,
  ): Promise<void> {
    if (!this.configured.has(connector)) return;
    this.ledger.finish(jobId, calls);
    const probe = this.probes.delete(jobId);
    await this.circuit.settle(connector, jobId, probe, outcomeOf(result, err, calls, aborted));
  }
}
