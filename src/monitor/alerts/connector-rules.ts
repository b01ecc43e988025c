import { sql, type Queryable } from '../../db/index.js';
import { short } from './format.js';
import type { Rule } from './rules.js';

/** connector_state (migration 0003) as listConnectorStates.sql reads it; written by the dispatchers. */
interface StateRow {
  connector: string;
  status: 'closed' | 'open' | 'paused' | 'disabled';
  reason: 'failures' | 'credentials' | 'quota' | 'gone' | null;
  variable: string | null;
  since: Date | null;
  next_probe_at: Date | null;
  consecutive_failures: number;
  last_error: string | null;
}

const states = async (q: Queryable): Promise<StateRow[]> => (await q.query<StateRow>(sql.listConnectorStates)).rows;

const when = (d: Date | null) => (d ? `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'soon');

/** status open: CIRCUIT_FAILURE_THRESHOLD retryable failures in a row; one probe per cool-down. */
const circuitOpen: Rule = {
  name: 'connector_circuit_open',
  threshold: () => "a connector's circuit open after CIRCUIT_FAILURE_THRESHOLD consecutive failures",
  async evaluate(q) {
    return (await states(q))
      .filter((r) => r.status === 'open')
      .map((r) => ({
        subject: r.connector,
        title: `${r.connector} circuit open`,
        summary: `No calls to ${r.connector} after ${r.consecutive_failures} failures in a row${r.last_error ? ` (last: ${short(r.last_error)})` : ''}; next probe ${when(r.next_probe_at)}`,
        action: `Check ${r.connector}'s status page; its jobs wait and are delivered by themselves once a probe succeeds.`,
        detail: { connector: r.connector, failures: r.consecutive_failures },
      }));
  },
};

const HALT: Record<string, { title: string; action: (r: StateRow) => string }> = {
  credentials: {
    title: 'paused: credentials rejected',
    action: (r) => `Replace ${r.variable ?? `the ${r.connector} credentials`} and restart Handoff; delivery resumes by itself after a successful probe.`,
  },
  quota: { title: 'paused: daily quota spent', action: () => 'Nothing to fix unless it happens daily (then raise the plan or the rate limit); delivery resumes when the quota resets.' },
  gone: {
    title: 'disabled: endpoint gone (410)',
    action: (r) => `Fix or remove ${r.variable ?? 'the endpoint'} and restart Handoff; its jobs are kept until then.`,
  },
};

/** status paused (credentials, quota) or disabled (gone): the connector delivers nothing until it is fixed or a probe succeeds. */
const paused: Rule = {
  name: 'connector_paused',
  threshold: () => 'a connector paused (credentials rejected, quota spent) or disabled (endpoint gone)',
  async evaluate(q) {
    return (await states(q))
      .filter((r) => r.status === 'paused' || r.status === 'disabled')
      .map((r) => {
        const h = HALT[r.reason ?? ''] ?? { title: r.status, action: () => `See \`handoff doctor\` for ${r.connector}.` };
        return {
          subject: r.connector,
          title: `${r.connector} ${h.title}`,
          summary: `${r.connector} has delivered nothing since ${when(r.since)}${r.variable ? `; check ${r.variable}` : ''}${r.last_error ? ` (${short(r.last_error)})` : ''}. Its jobs are kept and wait.`,
          action: h.action(r),
          detail: { connector: r.connector, reason: r.reason, variable: r.variable },
        };
      });
  },
};

export const connectorRules: readonly Rule[] = [circuitOpen, paused];
