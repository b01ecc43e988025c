/**
 * The candidate a rehearsal decides with: a state table and the HubSpot lifecycle map, from a founder's
 * JSON file (`handoff rehearse --config FILE`, or the body of POST /api/admin/rehearse). Pure; validated
 * with zod, every problem named by its path ("rules.change.refund.to").
 *
 * Shape (every key optional; `{}` = the current configuration):
 *   table                 a complete state table (array of rules), replacing the current one; or
 *   rules.change.<name>   fields to change in an existing rule (a given list replaces the rule's list)
 *   rules.remove          names of rules to drop
 *   rules.add             new rules, appended (first matching rule wins) or placed `before` a named rule
 *   hubspotLifecycleMap   { state: stage } over the current map (HUBSPOT_LIFECYCLE_MAP)
 * A rule's optional `when` names a condition it requires (another_subscription_live); `null` in a change removes it.
 * `late: true` lets the rule decide late events (table.ts `Rule.late`); `false` in a change takes that away.
 * `table` and `rules` exclude each other. Rule names, event kinds, states and effects must be known ones.
 */
import { z } from 'zod';
import type { LifecycleState } from '../config/index.js';
import type { DomainEventKind, FieldError } from '../events/types.js';
import { fieldErrors } from '../events/types.js';
import { CONDITIONS, type Condition, type EffectName, type FromState, type Rule, type Support } from '../lifecycle/index.js';

/** Every value the types allow; the `Exact` checks below make a new kind or effect a compile error here. */
export const EVENT_KINDS = [
  'user.signed_up',
  'user.updated',
  'user.activated',
  'trial.started',
  'trial.will_end',
  'subscription.active',
  'payment.succeeded',
  'payment.failed',
  'subscription.past_due',
  'subscription.canceled',
  'charge.refunded',
  'support.escalation_requested',
  'support.resolved',
  'crm.note_requested',
  'customer.tagged',
] as const;
export const EFFECT_NAMES = [
  'crm_sync',
  'slack_new_paying',
  'slack_payment_failed',
  'slack_churned',
  'slack_refund',
  'zendesk_ticket',
  'email_payment_failed',
  'email_trial_ending',
  'crm_note',
] as const;
export const LIFECYCLE_STATES = ['lead', 'trial', 'paid', 'past_due', 'churned'] as const;
const FROM_STATES = ['new', ...LIFECYCLE_STATES] as const;
const SUPPORT_STATES = ['none', 'needs_support'] as const;

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const exhaustive: [
  Exact<(typeof EVENT_KINDS)[number], DomainEventKind>,
  Exact<(typeof EFFECT_NAMES)[number], EffectName>,
  Exact<(typeof LIFECYCLE_STATES)[number], LifecycleState>,
  Exact<(typeof FROM_STATES)[number], FromState>,
  Exact<(typeof SUPPORT_STATES)[number], Support>,
] = [true, true, true, true, true];
void exhaustive;

const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)}; expected one of ${values.join(', ')}` });

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'rule names are lower_snake_case (a-z, 0-9, _), at most 63 characters');
const Kinds = z.array(oneOf(EVENT_KINDS, 'event kind')).min(1, 'a rule needs at least one event kind');
const From = z.union([z.literal('any'), z.array(oneOf(FROM_STATES, 'state')).min(1)], {
  error: `must be "any" or a non-empty list of states (${FROM_STATES.join(', ')})`,
});
const Effects = z.array(oneOf(EFFECT_NAMES, 'effect')).refine((a) => new Set(a).size === a.length, 'an effect is listed twice');

const When = z.enum(CONDITIONS as [Condition, ...Condition[]], { error: (issue) => `unknown condition ${JSON.stringify(issue.input)}; expected one of ${CONDITIONS.join(', ')}` });

const RuleFields = {
  on: Kinds,
  from: From,
  when: When.optional(),
  late: z.boolean().optional(),
  to: oneOf(LIFECYCLE_STATES, 'lifecycle state').optional(),
  support: oneOf(SUPPORT_STATES, 'support state').optional(),
  effects: Effects,
  why: z.string().max(500).optional(),
};
const RuleSchema = z.strictObject({ name: Name, ...RuleFields });
const AddedRule = z.strictObject({ name: Name, ...RuleFields, before: Name.optional() });
/** A change: any rule field; `null` for `to` / `support` removes it (the rule then leaves that state alone). */
const RuleChange = z.strictObject({
  on: Kinds.optional(),
  from: From.optional(),
  when: When.nullable().optional(),
  late: RuleFields.late,
  to: oneOf(LIFECYCLE_STATES, 'lifecycle state').nullable().optional(),
  support: oneOf(SUPPORT_STATES, 'support state').nullable().optional(),
  effects: Effects.optional(),
  why: z.string().max(500).optional(),
});

const CandidateSchema = z
  .strictObject({
    table: z.array(RuleSchema).min(1, 'a state table needs at least one rule').optional(),
    rules: z
      .strictObject({
        change: z.record(Name, RuleChange).optional(),
        remove: z.array(Name).optional(),
        add: z.array(AddedRule).optional(),
      })
      .optional(),
    hubspotLifecycleMap: z.partialRecord(oneOf(LIFECYCLE_STATES, 'lifecycle state'), z.string().trim().min(1).max(100)).optional(),
    /** Free text shown with the report ("refunds churn the customer"). */
    description: z.string().max(500).optional(),
  })
  .refine((c) => !(c.table && c.rules), { message: 'give either "table" (a complete table) or "rules" (changes to the current one), not both', path: ['table'] });

export type CandidateFile = z.infer<typeof CandidateSchema>;

export interface Candidate {
  table: readonly Rule[];
  lifecycleMap: Readonly<Record<LifecycleState, string>>;
  /** True when the file changed nothing: the rehearsal is then a self-check against what happened. */
  unchanged: boolean;
  description?: string;
  /** What the candidate changes, for the report: "rule refund changed (to: churned)". */
  changes: string[];
}

/** A candidate file that does not validate; `details` name each bad field by its path. */
export class CandidateError extends Error {
  constructor(
    message: string,
    readonly details: FieldError[],
  ) {
    super(message);
    this.name = 'CandidateError';
  }
}

/**
 * The candidate from a parsed JSON value, applied to the current table and map. Throws CandidateError
 * (with every problem) when the value, a rule name it refers to, or the resulting table is invalid.
 */
export function parseCandidate(value: unknown, current: { table: readonly Rule[]; lifecycleMap: Readonly<Record<LifecycleState, string>> }): Candidate {
  const parsed = CandidateSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const details = fieldErrors(parsed.error.issues).map((d) => (d.path === '(body)' ? { ...d, path: '(top level)' } : d));
    throw new CandidateError('invalid rehearsal config', details);
  }
  const file = parsed.data;
  const problems: FieldError[] = [];
  const changes: string[] = [];
  let table: Rule[] = current.table.map((r) => ({ ...r }));

  if (file.table) {
    table = file.table.map((r) => toRule(r));
    changes.push(`state table replaced (${table.length} rules)`);
  } else if (file.rules) {
    const known = new Set(table.map((r) => r.name));
    const unknown = (name: string, path: string) => {
      if (known.has(name)) return false;
      problems.push({ path, message: `no rule named ${JSON.stringify(name)}; the rules are ${[...known].join(', ')}` });
      return true;
    };
    for (const [name, change] of Object.entries(file.rules.change ?? {})) {
      if (unknown(name, `rules.change.${name}`)) continue;
      table = table.map((r) => (r.name === name ? applyChange(r, change) : r));
      changes.push(`rule ${name} changed (${Object.entries(change).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')})`);
    }
    (file.rules.remove ?? []).forEach((name, i) => {
      if (unknown(name, `rules.remove.${i}`)) return;
      table = table.filter((r) => r.name !== name);
      changes.push(`rule ${name} removed`);
    });
    (file.rules.add ?? []).forEach((added, i) => {
      if (known.has(added.name)) {
        problems.push({ path: `rules.add.${i}.name`, message: `a rule named ${JSON.stringify(added.name)} exists already; change it with rules.change` });
        return;
      }
      const { before, ...fields } = added;
      const at = before === undefined ? table.length : table.findIndex((r) => r.name === before);
      if (at === -1) {
        problems.push({ path: `rules.add.${i}.before`, message: `no rule named ${JSON.stringify(before)} in the table` });
        return;
      }
      table.splice(at, 0, toRule(fields));
      changes.push(`rule ${added.name} added${before ? ` before ${before}` : ''}`);
    });
  }
  const seen = new Set<string>();
  table.forEach((r, i) => {
    if (seen.has(r.name)) problems.push({ path: `table.${i}.name`, message: `rule ${JSON.stringify(r.name)} appears twice` });
    seen.add(r.name);
  });

  const lifecycleMap = { ...current.lifecycleMap, ...(file.hubspotLifecycleMap ?? {}) };
  for (const [state, stage] of Object.entries(file.hubspotLifecycleMap ?? {})) {
    if (current.lifecycleMap[state as LifecycleState] !== stage) changes.push(`HubSpot lifecycle stage for ${state}: ${current.lifecycleMap[state as LifecycleState]} → ${stage}`);
  }
  if (problems.length) throw new CandidateError('invalid rehearsal config', problems);
  const unchanged = sameTable(table, current.table) && LIFECYCLE_STATES.every((s) => lifecycleMap[s] === current.lifecycleMap[s]);
  return { table: Object.freeze(table), lifecycleMap: Object.freeze(lifecycleMap), unchanged, description: file.description, changes: unchanged ? [] : changes };
}

function toRule(r: z.infer<typeof RuleSchema>): Rule {
  return { name: r.name, on: r.on, from: r.from, ...(r.when ? { when: r.when } : {}), ...(r.late ? { late: true as const } : {}), ...(r.to ? { to: r.to } : {}), ...(r.support ? { support: r.support } : {}), effects: r.effects, why: r.why ?? '(rehearsal candidate)' };
}

function applyChange(rule: Rule, change: z.infer<typeof RuleChange>): Rule {
  const next: Rule = { ...rule };
  if (change.on) next.on = change.on;
  if (change.from) next.from = change.from;
  if (change.effects) next.effects = change.effects;
  if (change.why !== undefined) next.why = change.why;
  if (change.when === null) delete next.when;
  else if (change.when) next.when = change.when;
  if (change.late === false) delete next.late;
  else if (change.late) next.late = true;
  if (change.to === null) delete next.to;
  else if (change.to) next.to = change.to;
  if (change.support === null) delete next.support;
  else if (change.support) next.support = change.support;
  return next;
}

/** Same decisions: rules compared by every field that decides or queues something (not `why`). */
function sameTable(a: readonly Rule[], b: readonly Rule[]): boolean {
  const key = (r: Rule) => JSON.stringify([r.name, r.on, r.from, r.when ?? null, r.late ?? false, r.to ?? null, r.support ?? null, r.effects]);
  return a.length === b.length && a.every((r, i) => key(r) === key(b[i]!));
}
