import { createHash } from 'node:crypto';
import type { AppConfig } from '../config/index.js';
import type { ConnectorName } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';
import type { Logger } from '../monitor/index.js';

/**
 * connector_state: one row per configured connector, shared by every process (migration 0003).
 * `status` other than closed means the connector is not delivering; `reason` says why, `variable`
 * names the setting to fix. Read through listConnectorStates (GET /api/connectors, alert rules).
 */
export type ConnectorStatus = 'closed' | 'open' | 'paused' | 'disabled';
export type StateReason = 'failures' | 'credentials' | 'quota' | 'gone';

export interface ConnectorStateRow {
  connector: ConnectorName;
  status: ConnectorStatus;
  reason: StateReason | null;
  variable: string | null;
  since: Date | null;
  next_probe_at: Date | null;
  consecutive_failures: number;
  /** A probe job is in flight. */
  probing: boolean;
  last_error: string | null;
  updated_at: Date;
  window_at: number[];
  window_n: number[];
  now_ms: number;
}

export async function listConnectorStates(db: Queryable): Promise<ConnectorStateRow[]> {
  return (await db.query<ConnectorStateRow>(sql.listConnectorStates)).rows;
}

/** The configuration section behind each connector (what "reconfigured" compares). */
const SECTION: Record<ConnectorName, (c: AppConfig) => unknown> = {
  hubspot: (c) => c.hubspot,
  slack: (c) => c.slack,
  zendesk: (c) => c.zendesk,
  email: (c) => c.email,
  webhook: (c) => c.outbound,
};

/**
 * A short hash of each configured connector's settings. Stored when a connector is halted, so a
 * restart with a replaced token or another endpoint URL clears the halt. 64 bits of SHA-256 over
 * values that include secrets: it identifies a configuration, it cannot reveal one.
 */
export function connectorFingerprints(config: AppConfig): Map<ConnectorName, string> {
  const out = new Map<ConnectorName, string>();
  for (const [name, section] of Object.entries(SECTION) as Array<[ConnectorName, (c: AppConfig) => unknown]>) {
    const value = section(config);
    if (value !== undefined) out.set(name, createHash('sha256').update(`${name}\n${JSON.stringify(value)}`).digest('hex').slice(0, 16));
  }
  return out;
}

/**
 * Creates the rows of these connectors and clears pauses and disables recorded under another
 * configuration (one statement). Logs each cleared halt.
 */
export async function ensureConnectorStates(db: Queryable, connectors: ReadonlyMap<ConnectorName, string | null>, logger: Logger): Promise<void> {
  const param = JSON.stringify([...connectors].map(([connector, fingerprint]) => ({ connector, fingerprint })));
  const { rows } = await db.query<{ connector: ConnectorName; status: ConnectorStatus; was: ConnectorStatus | null; was_reason: StateReason | null; was_variable: string | null }>(
    sql.ensureConnectorStates,
    [param],
  );
  for (const r of rows) {
    if (r.was === null) continue; // created
    logger.warn({ connector: r.connector, state: r.status, was: r.was, reason: r.was_reason, variable: r.was_variable }, 'connector configuration changed; delivery resumes');
  }
}
