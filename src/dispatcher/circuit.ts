import type { ConnectorName } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';
import { ProviderError, type ConnectorHalt } from '../errors.js';
import type { Logger } from '../monitor/index.js';
import type { ConnectorStatus, StateReason } from './connector-state.js';
import { describeError, isRetryable } from './retry-policy.js';

/**
 * What one job run says about its connector's health:
 * - answered:  the provider answered (2xx, or a permanent 4xx about the job itself): it is up and takes
 *              our credentials;
 * - failed:    a retryable failure (network, timeout, 408/409/425/429/5xx): counts toward opening the circuit;
 * - halted:    ProviderError.halt: the connector is paused (credentials, quota) or disabled (gone);
 * - untouched: no request reached the provider (skipped, not configured, a bug, an aborted shutdown):
 *              says nothing.
 */
export type RunOutcome =
  | { kind: 'answered' }
  | { kind: 'failed'; error: string }
  | { kind: 'halted'; halt: ConnectorHalt; error: string }
  | { kind: 'untouched' };

export function outcomeOf(result: { status: 'done' | 'skipped' } | undefined, err: unknown, calls: number, aborted: boolean): RunOutcome {
  if (result) return result.status === 'done' || calls > 0 ? { kind: 'answered' } : { kind: 'untouched' };
  if (!(err instanceof ProviderError) || aborted) return { kind: 'untouched' };
  if (err.halt) return { kind: 'halted', halt: err.halt, error: describeError(err) };
  if (isRetryable(err)) return { kind: 'failed', error: describeError(err) };
  return err.kind === 'http' ? { kind: 'answered' } : { kind: 'untouched' }; // 'protocol': never sent
}

export interface CircuitConfig {
  /** Consecutive retryable failures that open the circuit (CIRCUIT_FAILURE_THRESHOLD, default 5). */
  failureThreshold: number;
  /** How long an open circuit or a credentials pause waits before one probe (CIRCUIT_COOLDOWN_MS, default 30 s). */
  cooldownMs: number;
}

interface Transition {
  was: ConnectorStatus;
  was_reason: StateReason | null;
  status: ConnectorStatus;
  reason: StateReason | null;
  variable: string | null;
  consecutive_failures: number;
  next_probe_at: Date | null;
}

export interface Known {
  status: ConnectorStatus;
  failures: number;
}

/**
 * Records run outcomes in connector_state (one short statement, only when something can change) and
 * logs ONE warn line per state change: connector, state, reason, variable, next probe — never a
 * credential. A write that fails is logged and dropped: the job's own result is recorded regardless,
 * and the next failure or probe writes again.
 */
export class Circuit {
  /** Each connector's state as last seen (claims refresh it); spares a write per successful job. */
  readonly known = new Map<ConnectorName, Known>();

  constructor(
    private readonly db: Queryable,
    private readonly cfg: CircuitConfig,
    private readonly fingerprints: ReadonlyMap<ConnectorName, string | null>,
    private readonly logger: Logger,
  ) {}

  async settle(connector: ConnectorName, jobId: number, probe: boolean, outcome: RunOutcome): Promise<void> {
    try {
      switch (outcome.kind) {
        case 'halted': {
          const h = outcome.halt;
          const until = h.reason === 'quota' ? h.until : null;
          const fp = this.fingerprints.get(connector) ?? null;
          const params = [connector, jobId, h.reason, h.variable ?? null, until, this.cfg.cooldownMs, fp, outcome.error];
          return this.apply(connector, await this.db.query<Transition>(sql.haltConnector, params));
        }
        case 'failed': {
          const params = [connector, jobId, this.cfg.failureThreshold, this.cfg.cooldownMs, outcome.error];
          return this.apply(connector, await this.db.query<Transition>(sql.recordConnectorFailure, params));
        }
        case 'answered': {
          const k = this.known.get(connector);
          if (!probe && k && k.status === 'closed' && k.failures === 0) return;
          return this.apply(connector, await this.db.query<Transition>(sql.recordConnectorSuccess, [connector, jobId]));
        }
        case 'untouched':
          if (probe) await this.db.query(sql.releaseConnectorProbe, [connector, jobId]);
          return;
      }
    } catch (err) {
      this.logger.error({ connector, jobId, err: describeError(err) }, 'recording the connector state failed');
    }
  }

  private apply(connector: ConnectorName, { rows }: { rows: Transition[] }): void {
    const t = rows[0];
    if (!t) return;
    this.known.set(connector, { status: t.status, failures: t.consecutive_failures });
    if (t.was === t.status && t.was_reason === t.reason) return;
    this.logger.warn(
      { connector, state: t.status, was: t.was, reason: t.reason, variable: t.variable, failures: t.consecutive_failures, nextProbeAt: t.next_probe_at },
      t.status === 'closed' ? 'connector delivering again' : `connector ${t.status === 'open' ? 'circuit open' : t.status}: ${t.reason}`,
    );
  }
}
