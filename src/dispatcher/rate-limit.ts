import type { RateLimit } from '../config/index.js';
import type { ConnectorName } from '../connectors/types.js';

/**
 * Per-connector pacing, shared by every dispatcher through connector_state (the arithmetic lives in
 * sql/claimJobs.sql; these constants and windowRoom mirror it for readers such as GET /api/connectors).
 *
 * A limit "N/W" (HUBSPOT_RATE_LIMIT=100/10s) means: at most N calls in ANY rolling window of W, which is
 * how providers count (HubSpot's TEN_SECONDLY_ROLLING). A token bucket of N refilled at N/W would allow
 * 2N in a window that starts with a full bucket, so calls are counted instead, per slot of
 * ceil(W/50) ms, each slot held for 52 slots (W plus one to two slots: the pace errs 2-4 % slow).
 *
 * A claim counts each job's reservation in the slot of the claim: the most requests one run of its
 * connector sends (Connector.callsPerJob: 1 for Slack, Resend, Zendesk, the outbound webhook; 5 for HubSpot),
 * never more than the limit itself. The calls reach the provider later (after the customer snapshot, behind
 * a slow network or a busy event loop), so the dispatcher keeps moving each job's reservation forward (at
 * each of its claims) until the job has finished, then counts what the job really spent
 * (connectors/meter.ts; one call for connectors that do not count) in the slot of the moment it finished.
 * A call is therefore counted from its claim until at least W after it could have arrived, however late
 * it was sent, and jobs in flight together can never send more than the limit: a claim grants a job only
 * when its whole reservation fits. The moves travel with the next claim: no extra statement.
 * Not covered: requests beyond the reservation (HubSpot's property definitions, once per process).
 */
export const WINDOW_SLOTS = 50;
export const HOLD_SLOTS = 52;

export const slotMs = (limit: RateLimit): number => Math.ceil(limit.intervalMs / WINDOW_SLOTS);

/** The calls a job of a connector paced by `limit` is charged while it runs: its most requests, at most the limit (≥ 1). */
export const reservation = (limit: RateLimit, callsPerJob = 1): number => Math.max(1, Math.min(Math.floor(callsPerJob), limit.tokens));

/** Calls still allowed now, from a connector_state row's window (`now_ms` from the same query). */
export function windowRoom(limit: RateLimit, at: readonly number[], n: readonly number[], nowMs: number): number {
  const hold = slotMs(limit) * HOLD_SLOTS;
  let used = 0;
  at.forEach((t, i) => {
    if (t > nowMs - hold) used += n[i] ?? 0;
  });
  return Math.max(0, limit.tokens - used);
}

/** What one claim tells the database about a paced connector's earlier grants (claimJobs $4). */
export interface WindowUpdate {
  /** The reservations of the jobs still running: counted again in the current slot (their calls may still be on their way). */
  charged: number;
  /** Counts to take out of the slots where those jobs were counted so far. */
  settled: Array<{ t: number; n: number }>;
  /** Finished jobs' real calls, in the slot of the moment each finished (database clock). */
  done: Array<{ t: number; n: number }>;
}

interface Held {
  connector: ConnectorName;
  /** The slot its reservation is counted in now (epoch ms, database clock). */
  slot: number;
  /** Its reservation: the calls counted for it until it has finished. */
  reserved: number;
  /** Set when the job has finished: the requests it made (at least one), and when (database clock). */
  calls?: number;
  doneAt?: number;
}

const add = (list: Array<{ t: number; n: number }>, t: number, n: number): void => {
  const e = list.find((x) => x.t === t);
  if (e) e.n += n;
  else list.push({ t, n });
};

/**
 * This dispatcher's jobs of paced connectors, from claim until a claim has counted what they spent.
 * Single-threaded use by the dispatcher loop: one claim at a time (prepare, then commit or drop).
 * Times are on the database's clock: `commit` learns the offset from each claim's now(), measured
 * from before the claim was sent, so a finish is never placed earlier than it happened.
 */
export class WindowLedger {
  private held = new Map<number, Held>();
  private inClaim?: { ids: number[]; finished: Set<number> };
  private offsetMs = 0;

  /** A job just claimed, its `reserved` calls counted in `slot`. */
  hold(jobId: number, connector: ConnectorName, slot: number, reserved: number): void {
    this.held.set(jobId, { connector, slot, reserved });
  }

  /** The job finished after making `calls` requests (0: none; still counted as one). */
  finish(jobId: number, calls: number): void {
    const h = this.held.get(jobId);
    if (!h) return;
    h.calls = Math.max(1, calls);
    h.doneAt = Date.now() + this.offsetMs;
  }

  /** The updates for the next claim (`slotOf`: the connector's slot length). Nothing changes until `commit`. */
  prepare(slotOf: (c: ConnectorName) => number | undefined): Map<ConnectorName, WindowUpdate> {
    const out = new Map<ConnectorName, WindowUpdate>();
    const finished = new Set<number>();
    for (const [id, h] of this.held) {
      const slot = slotOf(h.connector);
      if (slot === undefined) continue;
      const u = out.get(h.connector) ?? { charged: 0, settled: [], done: [] };
      out.set(h.connector, u);
      add(u.settled, h.slot, h.reserved);
      if (h.calls !== undefined && h.doneAt !== undefined) {
        add(u.done, Math.floor(h.doneAt / slot) * slot, h.calls);
        finished.add(id);
      } else {
        u.charged += h.reserved;
      }
    }
    this.inClaim = { ids: [...this.held.keys()], finished };
    return out;
  }

  /**
   * The claim committed (`dbNowMs`: its now(); `sentAt`: local time before it was sent): finished jobs
   * are accounted for; running ones now sit in `slots[connector]`.
   */
  commit(slots: ReadonlyMap<ConnectorName, number>, dbNowMs: number | undefined, sentAt: number): void {
    if (dbNowMs !== undefined) this.offsetMs = dbNowMs - sentAt;
    const claim = this.inClaim;
    this.inClaim = undefined;
    if (!claim) return;
    for (const id of claim.ids) {
      const h = this.held.get(id);
      if (!h) continue;
      if (claim.finished.has(id)) this.held.delete(id);
      else h.slot = slots.get(h.connector) ?? h.slot;
    }
  }

  /** The claim failed: the database is unchanged, so is the ledger. */
  drop(): void {
    this.inClaim = undefined;
  }
}
