import type { Clock, Ids } from '../clock.js';
import type { LifecycleState } from '../config/index.js';
import type { ConnectorName } from '../connectors/types.js';
import { JOBS_CHANNEL, sql, type Database, type Tx } from '../db/index.js';
import type { DomainEvent, DomainEventKind } from '../events/types.js';
import { jobsFor, outboundChange, PER_EVENT_EFFECTS, STATE_TABLE, transition, type Arrival, type Condition, type Decision, type FromState, type JobSpec, type Rule, type Support } from '../lifecycle/index.js';
import { identityPairs, mergeCustomers, type CustomerRow } from './customers.js';
import { trackTicket } from './support.js';

export interface RecordDeps {
  clock: Clock;
  ids: Ids;
  /** Jobs for connectors not in this set are recorded as `skipped` (nothing would deliver them). */
  enabledConnectors: ReadonlySet<ConnectorName>;
  maxAttempts: number;
  /** The state table to decide with; default STATE_TABLE (rehearse passes a candidate). */
  table?: readonly Rule[];
}

export type Outcome = 'applied' | 'stale' | 'ignored';
type Applied = Extract<Decision, { applied: true }>;

export interface RecordResult {
  duplicate: boolean;
  inboxId?: number;
  customerId?: string;
  outcome?: Outcome;
  reason?: string;
  jobsQueued: number;
}

interface TimelineRow {
  kind: string;
  from_state: string | null;
  to_state: string | null;
  rule: string | null;
  detail: Record<string, unknown>;
}

/**
 * THE one transaction per event: inbox row, identity resolution (and merges), watermark check,
 * state transition, timeline and outbox jobs commit together or not at all. Never calls a provider.
 * A duplicate (source, event id) returns `duplicate: true` and changes nothing.
 * Round trips: accept (lock the event and dedupe, advisory locks, resolve identities, lock the owners; writes
 * nothing) with BEGIN, apply (every write, the inbox row included, once) with COMMIT (PostgreSQL, see
 * db/postgres.ts); merges and helpdesk tickets add theirs.
 */
export function record(db: Database, event: DomainEvent, payload: unknown, deps: RecordDeps): Promise<RecordResult> {
  return db.transaction((tx) => recordIn(tx, event, payload, deps, { final: true }));
}

/**
 * record()'s work inside the caller's transaction. `final`: the caller runs nothing after it, so the transaction
 * may commit with the last write (PostgreSQL: in the same round trip). Queued jobs wake the dispatchers once the
 * caller's transaction commits (tx.notifyAfterCommit).
 */
export async function recordIn(tx: Tx, event: DomainEvent, payload: unknown, deps: RecordDeps, scope: { final?: boolean } = {}): Promise<RecordResult> {
  const now = deps.clock.now();
  const pairs = identityPairs(event.identities);
  const kinds = pairs.map((p) => p[0]);
  const values = pairs.map((p) => p[1]);
  const wmKeys = event.watermark?.keys ?? [];
  const lockKeys = [...pairs.map(([k, v]) => `id:${k}:${v}`), ...wmKeys.map((k) => `wm:${k}`)];

  // Lock the event, dedupe, advisory locks, resolve, row-lock the owners: one round trip (migration 0012). A merge that
  // committed while we waited means resolve again, in there; after 5 rounds `merging` says give up.
  const accepted = await tx.query<{ watermark: number | null; owners: Array<Omit<CustomerRow, 'created_at'> & { created_at: string }> | null; merging: boolean }>(
    sql.acceptEvent,
    [event.source, event.eventId, lockKeys, kinds, values, wmKeys],
  );
  const head = accepted.rows[0];
  if (!head) return { duplicate: true, jobsQueued: 0 };
  if (head.merging || !head.owners) throw new Error('customer records kept merging while this event waited; retry the delivery');
  const newest = head.watermark;
  // Oldest first: the survivor of a merge is the oldest record.
  const owners: CustomerRow[] = head.owners
    .map((o) => ({ ...o, created_at: new Date(o.created_at) }))
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));

  // Identity: link everything this event knows; create a customer only for events that mean something.
  const timeline: TimelineRow[] = [];
  let customer: CustomerRow | undefined;
  let isNew = false;
  if (owners.length > 1) {
    const [survivor, ...others] = owners as [CustomerRow, ...CustomerRow[]];
    customer = await mergeCustomers(tx, survivor, others, now);
    timeline.push(row('merge', null, null, 'identity_merge', { merged: others.map((o) => o.id), identities: Object.fromEntries(pairs) }));
  } else if (owners.length === 1) {
    customer = owners[0];
  } else if (event.kind && pairs.length) {
    isNew = true;
    customer = { id: deps.ids.uuid(), email: event.identities.email ?? null, name: event.name ?? null, lifecycle: 'lead', support: 'none', merged_into: null, created_at: now };
  }
  // The outbound change message compares against the customer as it was before this event and its merges.
  const prior = isNew ? undefined : owners[0];
  const mergedIds = owners.slice(1).map((o) => o.id);

  const apply = async (
    outcome: Outcome,
    reason: string,
    state: { lifecycle: LifecycleState; support: Support } | undefined,
    opts: { watermark: boolean; jobs?: ReturnType<typeof jobRows> },
  ): Promise<RecordResult> => {
    const after = { lifecycle: state?.lifecycle ?? customer?.lifecycle ?? 'lead', support: state?.support ?? customer?.support ?? 'none' };
    // A signed outbound message per lifecycle/support change or merge. Not queued at all when the webhook
    // connector is off: a `skipped` row on every change would only bury the jobs that matter.
    const change =
      customer && deps.enabledConnectors.has('webhook')
        ? outboundChange({
            event,
            // The email the customer row ends with (applyEvent keeps a stored email, else takes the event's).
            customer: { id: customer.id, email: prior?.email ?? event.identities.email ?? customer.email ?? null },
            before: prior ? { lifecycle: prior.lifecycle, support: prior.support } : null,
            after,
            rule: outcome === 'applied' ? reason : null,
            merged: mergedIds,
          })
        : undefined;
    const { rows } = await tx.query<{ inbox_id: number; queued: number }>(sql.applyEvent, [
      customer?.id ?? null,
      // A merge's survivor may take the other record's email or name; otherwise these are the event's.
      event.identities.email ?? customer?.email ?? null,
      event.name ?? customer?.name ?? null,
      after.lifecycle,
      after.support,
      now,
      isNew,
      kinds,
      values,
      opts.watermark ? wmKeys : [],
      event.watermark?.created ?? 0,
      event.eventId,
      JSON.stringify(timeline),
      JSON.stringify([...(opts.jobs ?? []), ...specRows(change ? [change] : [], deps)]),
      deps.maxAttempts,
      event.source,
      event.sourceType,
      event.occurredAt,
      JSON.stringify(payload),
      outcome,
      reason,
      event.subscription?.id ?? null,
      event.subscription?.status ?? null,
      Math.floor(event.occurredAt.getTime() / 1000),
      event.invoice?.id ?? null,
      event.invoice?.customer ?? null,
      event.invoice?.payment ?? null,
      event.invoice?.amountDue == null ? null : JSON.stringify(event.invoice.amountDue),
      event.invoice?.currency ?? null,
    ], { final: scope.final });
    const jobsQueued = rows[0]?.queued ?? 0;
    if (jobsQueued > 0) tx.notifyAfterCommit(JOBS_CHANNEL);
    return { duplicate: false, inboxId: Number(rows[0]!.inbox_id), customerId: customer?.id, outcome, reason, jobsQueued };
  };

  // The state table's verdict on this customer (reading the conditions its rules ask about), and its record: a
  // timeline row naming the rule (and, for a late event, why it still counts), then every write in one statement.
  const decide = async (c: CustomerRow, from: FromState, kind: DomainEventKind, arrival: Arrival) => {
    const checked = from === 'new' ? undefined : await conditionsFor(tx, event, c.id, deps.table ?? STATE_TABLE);
    return { decision: transition({ lifecycle: from, support: c.support, conditions: checked?.holds }, kind, deps.table, arrival), evidence: checked?.evidence ?? {} };
  };
  const applyDecision = (c: CustomerRow, from: FromState, decision: Applied, evidence: Partial<Record<Condition, string[]>>, late?: string): Promise<RecordResult> => {
    timeline.push(
      row(decision.changed ? 'transition' : 'event', from, decision.lifecycle, decision.rule, {
        support: c.support === decision.support ? undefined : { from: c.support, to: decision.support },
        facts: timelineFacts(event.facts),
        ...(Object.keys(evidence).length ? { conditions: evidence } : {}),
        ...(late ? { late } : {}),
      }),
    );
    return apply('applied', decision.rule, decision, { watermark: true, jobs: jobRows(decision.effects, event, deps) });
  };

  // Ordering: an event older than any object it describes changes no state (it stays in the inbox, marked), unless
  // it is LATE: stale only through its customer, the newest word on its own subscription, and decided by a rule the
  // table marks `late` (a plan switch delivered out of order). A stale event's per-event effects (a failed payment's
  // alert) are still queued; they re-check state when they run.
  if (event.watermark && newest != null && Number(newest) > event.watermark.created) {
    const reason = `stale: created ${event.watermark.created} is older than ${newest} already applied`;
    if (customer && event.kind && !isNew && (await newestOnItsSubscription(tx, event))) {
      const { decision, evidence } = await decide(customer, customer.lifecycle, event.kind, 'late');
      if (decision.applied) {
        const late = `created ${event.watermark.created}, older than ${newest} already applied, yet the newest word on ${event.subscription!.id}`;
        return applyDecision(customer, customer.lifecycle, decision, evidence, late);
      }
    }
    const decision = customer && event.kind && !isNew ? transition({ lifecycle: customer.lifecycle, support: customer.support }, event.kind, deps.table) : undefined;
    const perEvent = decision?.applied ? decision.effects.filter((e) => PER_EVENT_EFFECTS.has(e)) : [];
    if (customer) timeline.push(row('stale', customer.lifecycle, customer.lifecycle, null, { reason, ...(perEvent.length ? { queued: perEvent } : {}) }));
    return apply('stale', reason, undefined, { watermark: false, jobs: jobRows(perEvent, event, deps) });
  }

  // Helpdesk tickets (support.ts): track the ticket's status; hold a resolution while another ticket is open.
  const held = await trackTicket(tx, event, isNew ? undefined : customer);
  if (held) {
    if (isNew) [customer, isNew] = [undefined, false]; // a helpdesk event never creates a customer
    else if (customer) timeline.push(row('ignored', customer.lifecycle, customer.lifecycle, null, { reason: held, facts: timelineFacts(event.facts) }));
    return apply('ignored', held, undefined, { watermark: true });
  }

  if (!event.kind || !customer) {
    const reason = event.ignoredReason ?? (customer ? 'no rule' : 'no customer identity in the event');
    return apply('ignored', reason, undefined, { watermark: true });
  }

  const from: FromState = isNew ? 'new' : customer.lifecycle;
  const { decision, evidence } = await decide(customer, from, event.kind, 'in_order');
  if (!decision.applied) {
    timeline.push(row('ignored', from, isNew ? 'lead' : from, null, { reason: decision.reason }));
    return apply('ignored', decision.reason, undefined, { watermark: true });
  }
  return applyDecision(customer, from, decision, evidence);
}

/**
 * A late event's first test (record()): it reports a Stripe subscription whose recorded status is not newer than it
 * (no row yet, or one set by an event created no later; stale events record it too). An applied invoice of the same
 * subscription does not count: its verdict is about a payment, not the subscription's standing. Read under the
 * event's advisory locks, so no delivery on the same subscription moves it meanwhile.
 */
async function newestOnItsSubscription(tx: Tx, event: DomainEvent): Promise<boolean> {
  if (!event.subscription || !event.watermark) return false;
  const { rows } = await tx.query<{ created: string }>(sql.getSubscription, [event.subscription.id]);
  return rows.length === 0 || Number(rows[0]!.created) <= event.watermark.created;
}

/**
 * The conditions (table.ts `Condition`) the table's rules for this event's kind ask about, read only when some rule
 * asks (one more round trip on those events alone). A new customer has nothing else on record: no condition holds.
 */
async function conditionsFor(
  tx: Tx,
  event: DomainEvent,
  customerId: string,
  table: readonly Rule[],
): Promise<{ holds: ReadonlySet<Condition>; evidence: Partial<Record<Condition, string[]>> } | undefined> {
  const asked = new Set(table.filter((r) => r.when !== undefined && event.kind !== null && r.on.includes(event.kind)).map((r) => r.when!));
  if (asked.size === 0) return undefined;
  const holds = new Set<Condition>();
  // For the timeline: what made a condition hold ("sub_123 active").
  const evidence: Partial<Record<Condition, string[]>> = {};
  if (asked.has('another_subscription_live')) {
    const { rows } = await tx.query<{ id: string; status: string }>(sql.listOtherLiveSubscriptions, [customerId, event.subscription?.id ?? '']);
    if (rows.length > 0) {
      holds.add('another_subscription_live');
      evidence.another_subscription_live = rows.map((r) => `${r.id} ${r.status}`);
    }
  }
  return { holds, evidence };
}

function jobRows(effects: Parameters<typeof jobsFor>[0], event: DomainEvent, deps: RecordDeps) {
  return specRows(jobsFor(effects, event), deps);
}

function specRows(specs: JobSpec[], deps: RecordDeps) {
  return specs.map((s) => {
    const enabled = deps.enabledConnectors.has(s.connector);
    return {
      connector: s.connector,
      kind: s.kind,
      idempotency_key: s.idempotencyKey,
      payload: s.payload,
      status: enabled ? 'pending' : 'skipped',
      reason: enabled ? null : `connector ${s.connector} is not configured`,
    };
  });
}

function row(kind: string, from: string | null, to: string | null, rule: string | null, detail: Record<string, unknown>): TimelineRow {
  return { kind, from_state: from, to_state: to, rule, detail };
}

/**
 * Facts as the timeline shows them: a customer's message (an escalation's text) stays in the inbox payload
 * and the job that needs it, not in every timeline read.
 */
function timelineFacts(facts: DomainEvent['facts']): DomainEvent['facts'] {
  if (!('message' in facts)) return facts;
  const { message: _message, ...rest } = facts;
  return rest;
}
