import type { LifecycleState } from '../config/index.js';
import { sql, type Queryable } from '../db/index.js';
import type { Support } from '../lifecycle/index.js';
import { EFFECT_NAMES } from './config.js';

export interface State {
  lifecycle: LifecycleState;
  support: Support;
}

export interface SideCustomer extends State {
  id: string;
  email: string | null;
  name: string | null;
  identities: string[];
}

export interface SideJob {
  idempotency_key: string;
  connector: string;
  kind: string;
  customer_id: string | null;
  source: string;
  event_id: string;
  type: string;
}

export interface SideOutcome {
  source: string;
  event_id: string;
  type: string;
  outcome: string;
  outcome_reason: string | null;
}

/** One side of the comparison: reality (the live schema) or the rehearsal (the scratch schema). */
export interface Side {
  customers: SideCustomer[];
  jobs: SideJob[];
  outcomes: SideOutcome[];
}

/**
 * Reads one side with the same statements; `tx` decides which schema they resolve in. `upTo`: the newest
 * inbox id to compare (reality: fixed when the rehearsal started; the scratch schema holds nothing newer).
 */
export async function readSide(tx: Queryable, since: Date, upTo: number): Promise<Side> {
  const customers = (await tx.query<SideCustomer>(sql.listRehearsalCustomers, [upTo])).rows;
  const jobs = (await tx.query<SideJob>(sql.listRehearsalJobs, [since, upTo])).rows.filter((j) => RECORDED_KEY.test(j.idempotency_key));
  const outcomes = (await tx.query<SideOutcome>(sql.listRehearsalOutcomes, [since, upTo])).rows;
  return { customers, jobs, outcomes };
}

/**
 * Jobs the pipeline queues when it records an event (`<effect>:<source>:<event id>`, `webhook:…`). Others are
 * not the state table's: follow-ups the dispatcher queues after a job succeeded (the support confirmation
 * email), alerts. A rehearsal dispatches nothing, so they are left out on both sides.
 */
const RECORDED_KEY = new RegExp(`^(${[...EFFECT_NAMES, 'webhook'].join('|')}):`);

export interface CustomerRef {
  /** Email, else the first identity ("stripe_customer:cus_…"). */
  label: string;
  identities: string[];
}

export interface CustomerDiff {
  customer: CustomerRef;
  /** What actually happened; null: reality has no such customer. */
  actual: State | null;
  /** What the candidate would have made of the same events; null: the rehearsal has no such customer. */
  rehearsed: State | null;
}

export interface JobDiff {
  customer: CustomerRef | null;
  connector: string;
  kind: string;
  /** The state-table effect that queues it (`crm_sync`, …), or `webhook` (the signed outbound message). */
  effect: string;
  idempotencyKey: string;
  event: { source: string; id: string; type: string };
}

export interface DecisionDiff {
  event: { source: string; id: string; type: string };
  actual: string;
  rehearsed: string;
}

export interface CrmDiff {
  customer: CustomerRef;
  /** HubSpot properties Handoff would push on the next contact sync: property → [actual, rehearsed]. */
  properties: Record<string, [string | null, string | null]>;
}

export interface Differences {
  customers: CustomerDiff[];
  jobs: { added: JobDiff[]; dropped: JobDiff[] };
  crm: CrmDiff[];
  decisions: DecisionDiff[];
}

export interface CrmView {
  stateProperty: string;
  actualMap: Readonly<Record<LifecycleState, string>>;
  rehearsedMap: Readonly<Record<LifecycleState, string>>;
}

/**
 * Pure: the rehearsal against reality. Customers are matched by shared identities (ids differ between the
 * schemas); a rehearsed customer sharing identities with several real ones (records merged differently) is
 * matched to the one it shares most with. Jobs are compared by idempotency key, which names the effect and
 * its cause, so "added" and "dropped" are exact per customer and event.
 */
export function compare(actual: Side, rehearsed: Side, crm: CrmView): Differences {
  const ref = (c: SideCustomer): CustomerRef => ({ label: c.email ?? c.identities[0] ?? c.id, identities: c.identities });
  const owner = new Map<string, SideCustomer>();
  for (const c of actual.customers) for (const i of c.identities) owner.set(i, c);
  const pairOf = new Map<SideCustomer, SideCustomer>();
  const matchedActual = new Set<SideCustomer>();
  for (const r of rehearsed.customers) {
    const votes = new Map<SideCustomer, number>();
    for (const i of r.identities) {
      const a = owner.get(i);
      if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
    }
    const best = [...votes.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
    if (best && !matchedActual.has(best)) {
      pairOf.set(r, best);
      matchedActual.add(best);
    }
  }

  const customers: CustomerDiff[] = [];
  const crmDiffs: CrmDiff[] = [];
  const crmProps = (c: SideCustomer | undefined, map: Readonly<Record<LifecycleState, string>>) =>
    c ? { lifecyclestage: map[c.lifecycle], [crm.stateProperty]: c.lifecycle, handoff_support: c.support } : undefined;
  const compareCrm = (customer: CustomerRef, a: SideCustomer | undefined, r: SideCustomer | undefined) => {
    // Only customers the CRM knows by email get contact syncs.
    if (!(a?.email ?? r?.email)) return;
    const before = crmProps(a, crm.actualMap) ?? {};
    const after = crmProps(r, crm.rehearsedMap) ?? {};
    const properties: CrmDiff['properties'] = {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const x = (before as Record<string, string>)[k] ?? null;
      const y = (after as Record<string, string>)[k] ?? null;
      if (x !== y) properties[k] = [x, y];
    }
    if (Object.keys(properties).length) crmDiffs.push({ customer, properties });
  };
  const state = (c: SideCustomer): State => ({ lifecycle: c.lifecycle, support: c.support });

  for (const r of rehearsed.customers) {
    const a = pairOf.get(r);
    if (!a) customers.push({ customer: ref(r), actual: null, rehearsed: state(r) });
    else if (a.lifecycle !== r.lifecycle || a.support !== r.support) customers.push({ customer: ref(a), actual: state(a), rehearsed: state(r) });
    compareCrm(ref(a ?? r), a, r);
  }
  for (const a of actual.customers) {
    if (matchedActual.has(a)) continue;
    customers.push({ customer: ref(a), actual: state(a), rehearsed: null });
    compareCrm(ref(a), a, undefined);
  }

  // Jobs: a rehearsed job's customer is named as reality knows them when matched.
  const actualById = new Map(actual.customers.map((c) => [c.id, c]));
  const rehearsedById = new Map(rehearsed.customers.map((c) => [c.id, c]));
  const jobDiff = (j: SideJob, who: SideCustomer | undefined): JobDiff => ({
    customer: who ? ref(who) : null,
    connector: j.connector,
    kind: j.kind,
    effect: j.idempotency_key.slice(0, j.idempotency_key.indexOf(':')),
    idempotencyKey: j.idempotency_key,
    event: { source: j.source, id: j.event_id, type: j.type },
  });
  const actualKeys = new Set(actual.jobs.map((j) => j.idempotency_key));
  const rehearsedKeys = new Set(rehearsed.jobs.map((j) => j.idempotency_key));
  const added = rehearsed.jobs
    .filter((j) => !actualKeys.has(j.idempotency_key))
    .map((j) => {
      const r = j.customer_id ? rehearsedById.get(j.customer_id) : undefined;
      return jobDiff(j, r ? (pairOf.get(r) ?? r) : undefined);
    });
  const dropped = actual.jobs.filter((j) => !rehearsedKeys.has(j.idempotency_key)).map((j) => jobDiff(j, j.customer_id ? actualById.get(j.customer_id) : undefined));

  const describe = (o: SideOutcome | undefined) => (o ? `${o.outcome}: ${o.outcome_reason ?? ''}`.replace(/: $/, '') : 'not replayed');
  const rehearsedOutcome = new Map(rehearsed.outcomes.map((o) => [`${o.source}\u0000${o.event_id}`, o]));
  const decisions: DecisionDiff[] = [];
  for (const a of actual.outcomes) {
    const r = rehearsedOutcome.get(`${a.source}\u0000${a.event_id}`);
    if (describe(a) !== describe(r)) decisions.push({ event: { source: a.source, id: a.event_id, type: a.type }, actual: describe(a), rehearsed: describe(r) });
  }
  return { customers, jobs: { added, dropped }, crm: crmDiffs, decisions };
}
