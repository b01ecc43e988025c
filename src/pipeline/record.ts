import type { Clock, Ids } from '../clock.js';
import type { ConnectorName } from '../connectors/types.js';
import { sql, type Database, type Queryable } from '../db/index.js';
import type { DomainEvent } from '../events/types.js';
import { jobsFor, transition, type FromState } from '../lifecycle/index.js';
import { findOwners, identityPairs, mergeCustomers, type CustomerRow } from './customers.js';

export interface RecordDeps {
  clock: Clock;
  ids: Ids;
  /** Jobs for connectors not in this set are recorded as `skipped` (nothing would deliver them). */
  enabledConnectors: ReadonlySet<ConnectorName>;
  maxAttempts: number;
}

export type Outcome = 'applied' | 'stale' | 'ignored';

export interface RecordResult {
  duplicate: boolean;
  inboxId?: number;
  customerId?: string;
  outcome?: Outcome;
  reason?: string;
  jobsQueued: number;
}

/**
 * THE one transaction per event: inbox row, identity resolution (and merges), watermark check,
 * state transition, timeline and outbox jobs commit together or not at all. Never calls a provider.
 * A duplicate (source, event id) returns `duplicate: true` and changes nothing.
 */
export function record(db: Database, event: DomainEvent, payload: unknown, deps: RecordDeps): Promise<RecordResult> {
  return db.transaction((tx) => recordIn(tx, event, payload, deps));
}

export async function recordIn(tx: Queryable, event: DomainEvent, payload: unknown, deps: RecordDeps): Promise<RecordResult> {
  const now = deps.clock.now();
  const inserted = await tx.query<{ id: number }>(sql.insertInboxEvent, [
    event.source,
    event.eventId,
    event.sourceType,
    event.occurredAt,
    JSON.stringify(payload),
  ]);
  const inboxId = inserted.rows[0]?.id;
  if (inboxId === undefined) return { duplicate: true, jobsQueued: 0 };

  const pairs = identityPairs(event.identities);
  const lockKeys = [...pairs.map(([k, v]) => `id:${k}:${v}`), ...(event.watermark?.keys ?? []).map((k) => `wm:${k}`)];
  if (lockKeys.length) await tx.query(sql.lockKeys, [lockKeys]);

  // Identity: link everything this event knows; create only for events that mean something.
  const owners = await findOwners(tx, pairs);
  let customer: CustomerRow | undefined;
  let isNew = false;
  if (owners.length > 1) {
    const [survivor, ...others] = owners as [CustomerRow, ...CustomerRow[]];
    customer = await mergeCustomers(tx, survivor, others, now);
    await timeline(tx, customer.id, inboxId, now, 'merge', null, null, 'identity_merge', {
      merged: others.map((o) => o.id),
      identities: Object.fromEntries(pairs),
    });
  } else if (owners.length === 1) {
    customer = owners[0];
  } else if (event.kind && pairs.length) {
    customer = {
      id: deps.ids.uuid(),
      email: event.identities.email ?? null,
      name: event.name ?? null,
      lifecycle: 'lead',
      support: 'none',
      merged_into: null,
      created_at: now,
    };
    isNew = true;
    await tx.query(sql.insertCustomer, [customer.id, customer.email, customer.name, now]);
  }
  if (customer && pairs.length) {
    await tx.query(sql.insertIdentities, [pairs.map((p) => p[0]), pairs.map((p) => p[1]), customer.id]);
  }
  const customerId = customer?.id ?? null;

  // Ordering: an event older than any object it describes changes nothing (it stays in the inbox, marked).
  if (event.watermark) {
    const { rows } = await tx.query<{ created: number | null }>(sql.readWatermark, [event.watermark.keys]);
    const newest = rows[0]?.created;
    if (newest != null && Number(newest) > event.watermark.created) {
      const reason = `stale: created ${event.watermark.created} is older than ${newest} already applied`;
      await finish(tx, inboxId, 'stale', reason, customerId);
      if (customerId) await timeline(tx, customerId, inboxId, now, 'stale', customer!.lifecycle, customer!.lifecycle, null, { reason });
      return { duplicate: false, inboxId, customerId: customerId ?? undefined, outcome: 'stale', reason, jobsQueued: 0 };
    }
    await tx.query(sql.upsertWatermarks, [event.watermark.keys, event.watermark.created, event.eventId]);
  }

  if (!event.kind || !customer) {
    const reason = event.ignoredReason ?? (customer ? 'no rule' : 'no customer identity in the event');
    await finish(tx, inboxId, 'ignored', reason, customerId);
    return { duplicate: false, inboxId, customerId: customerId ?? undefined, outcome: 'ignored', reason, jobsQueued: 0 };
  }

  const from: FromState = isNew ? 'new' : customer.lifecycle;
  const decision = transition({ lifecycle: from, support: customer.support }, event.kind);
  if (!decision.applied) {
    if (isNew) await tx.query(sql.updateCustomerState, [customer.id, 'lead', customer.support, null, null, now]);
    await timeline(tx, customer.id, inboxId, now, 'ignored', from, isNew ? 'lead' : from, null, { reason: decision.reason });
    await finish(tx, inboxId, 'ignored', decision.reason, customer.id);
    return { duplicate: false, inboxId, customerId: customer.id, outcome: 'ignored', reason: decision.reason, jobsQueued: 0 };
  }

  await tx.query(sql.updateCustomerState, [
    customer.id,
    decision.lifecycle,
    decision.support,
    event.identities.email ?? null,
    event.name ?? null,
    now,
  ]);
  await timeline(tx, customer.id, inboxId, now, decision.changed ? 'transition' : 'event', from, decision.lifecycle, decision.rule, {
    support: customer.support === decision.support ? undefined : { from: customer.support, to: decision.support },
    facts: event.facts,
  });

  const specs = jobsFor(decision.effects, event);
  let jobsQueued = 0;
  if (specs.length) {
    const rows = specs.map((s) => {
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
    const ins = await tx.query<{ status: string }>(sql.insertJobs, [JSON.stringify(rows), customer.id, inboxId, deps.maxAttempts]);
    jobsQueued = ins.rows.filter((r) => r.status === 'pending').length;
    if (jobsQueued) await tx.query(sql.notifyJobs);
  }
  await finish(tx, inboxId, 'applied', decision.rule, customer.id);
  return { duplicate: false, inboxId, customerId: customer.id, outcome: 'applied', reason: decision.rule, jobsQueued };
}

function finish(tx: Queryable, inboxId: number, outcome: Outcome, reason: string, customerId: string | null) {
  return tx.query(sql.setInboxOutcome, [inboxId, outcome, reason, customerId]);
}

function timeline(
  tx: Queryable,
  customerId: string,
  inboxId: number,
  at: Date,
  kind: string,
  from: string | null,
  to: string | null,
  rule: string | null,
  detail: Record<string, unknown>,
) {
  return tx.query(sql.insertTimeline, [customerId, inboxId, at, kind, from, to, rule, JSON.stringify(detail)]);
}
