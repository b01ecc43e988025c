import type { LifecycleState } from '../config/index.js';
import type { DomainEventKind } from '../events/types.js';
import { LIFECYCLE_RANK, STATE_TABLE, type Condition, type EffectName, type FromState, type Rule, type Support } from './table.js';

export interface CustomerState {
  lifecycle: FromState;
  support: Support;
  /** The conditions that hold for this customer and event (table.ts `Condition`); absent = none. */
  conditions?: ReadonlySet<Condition>;
}

export type Decision =
  | { applied: true; rule: string; lifecycle: LifecycleState; support: Support; changed: boolean; effects: readonly EffectName[] }
  | { applied: false; reason: string };

/**
 * How the event stands to the customer's newest applied event: `late` = older than it, yet the newest word on its
 * own subscription (table.ts `Rule.late`). A late event is decided by its first matching rule only when that rule
 * is marked `late`.
 */
export type Arrival = 'in_order' | 'late';

/** Pure: the state table's verdict for one event on one customer. */
export function transition(state: CustomerState, kind: DomainEventKind, table: readonly Rule[] = STATE_TABLE, arrival: Arrival = 'in_order'): Decision {
  const rule = table.find(
    (r) => r.on.includes(kind) && (r.from === 'any' || r.from.includes(state.lifecycle)) && (r.when === undefined || state.conditions?.has(r.when) === true),
  );
  if (!rule) return { applied: false, reason: `no rule for ${kind} when ${state.lifecycle}` };
  if (arrival === 'late' && !rule.late) return { applied: false, reason: `rule ${rule.name} does not decide late events` };
  const lifecycle: LifecycleState = rule.to ?? (state.lifecycle === 'new' ? 'lead' : state.lifecycle);
  const support = rule.support ?? state.support;
  return {
    applied: true,
    rule: rule.name,
    lifecycle,
    support,
    changed: lifecycle !== state.lifecycle || support !== state.support,
    effects: rule.effects,
  };
}

/** The lifecycle a merged customer keeps. */
export function mergeLifecycle(a: LifecycleState, b: LifecycleState): LifecycleState {
  return LIFECYCLE_RANK[a] >= LIFECYCLE_RANK[b] ? a : b;
}
