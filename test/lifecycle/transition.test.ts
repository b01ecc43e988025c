import { describe, expect, it } from 'vitest';
import type { LifecycleState } from '../../src/config/index.js';
import type { DomainEvent, DomainEventKind } from '../../src/events/index.js';
import {
  CONDITIONS,
  jobsFor,
  LIFECYCLE_RANK,
  mergeLifecycle,
  renderStateTable,
  STATE_TABLE,
  transition,
  unmetRequirement,
  type Condition,
  type EffectName,
  type FromState,
  type Rule,
} from '../../src/lifecycle/index.js';

const LIFECYCLES: LifecycleState[] = ['lead', 'trial', 'paid', 'past_due', 'churned'];
const FROM_STATES: FromState[] = ['new', ...LIFECYCLES];
const KINDS: DomainEventKind[] = [
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
];
const EFFECTS: EffectName[] = ['crm_sync', 'slack_new_paying', 'slack_payment_failed', 'slack_churned', 'slack_refund', 'zendesk_ticket', 'email_payment_failed', 'email_trial_ending', 'crm_note'];

const fromsOf = (r: Rule): FromState[] => (r.from === 'any' ? FROM_STATES : [...r.from]);

/** Every subset of the conditions a rule may require. */
const CONDITION_SETS: ReadonlySet<Condition>[] = CONDITIONS.reduce<Set<Condition>[]>((sets, c) => [...sets, ...sets.map((s) => new Set([...s, c]))], [new Set()]);

/** The first rule of the table matching (kind, from, conditions): what transition() must pick. */
const firstMatch = (kind: DomainEventKind, from: FromState, conditions: ReadonlySet<Condition> = new Set()) =>
  STATE_TABLE.find((r) => r.on.includes(kind) && (r.from === 'any' || r.from.includes(from)) && (r.when === undefined || conditions.has(r.when)));

function event(over: Partial<DomainEvent> = {}): DomainEvent {
  return {
    source: 'stripe',
    eventId: 'evt_1',
    sourceType: 'invoice.payment_failed',
    kind: 'payment.failed',
    occurredAt: new Date('2026-01-01T00:00:00Z'),
    identities: { stripe_customer: 'cus_1' },
    facts: { amount_due: 4900 },
    ...over,
  };
}

describe('STATE_TABLE', () => {
  it('has unique rule names and only known kinds, states and effects', () => {
    const names = STATE_TABLE.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of STATE_TABLE) {
      expect(r.on.length, r.name).toBeGreaterThan(0);
      for (const k of r.on) expect(KINDS, r.name).toContain(k);
      for (const f of fromsOf(r)) expect(FROM_STATES, r.name).toContain(f);
      if (r.to) expect(LIFECYCLES, r.name).toContain(r.to);
      for (const e of r.effects) expect(EFFECTS, r.name).toContain(e);
      expect(r.why, r.name).toMatch(/\S/);
    }
  });

  // Every rule must win for at least one (kind, from) pair, else it is dead code.
  it.each(STATE_TABLE.map((r) => [r.name, r] as const))('rule %s is reachable and produces its declared state and effects', (_name, rule) => {
    const pairs = rule.on.flatMap((kind) => fromsOf(rule).flatMap((from) => CONDITION_SETS.map((conditions) => ({ kind, from, conditions }))));
    const reachable = pairs.filter(({ kind, from, conditions }) => firstMatch(kind, from, conditions) === rule);
    expect(reachable.length, `${rule.name} is shadowed by earlier rules for every (kind, from, conditions)`).toBeGreaterThan(0);
    for (const { kind, from, conditions } of reachable) {
      for (const support of ['none', 'needs_support'] as const) {
        const d = transition({ lifecycle: from, support, conditions }, kind);
        expect(d.applied, `${kind} from ${from}`).toBe(true);
        if (!d.applied) continue;
        expect(d.rule).toBe(rule.name);
        const lifecycle = rule.to ?? (from === 'new' ? 'lead' : from);
        expect(d.lifecycle).toBe(lifecycle);
        expect(d.support).toBe(rule.support ?? support);
        expect(d.effects).toEqual(rule.effects);
        expect(d.changed).toBe(lifecycle !== from || d.support !== support);
      }
    }
  });

  it('transition() agrees with first-match-wins over every (state, kind, conditions)', () => {
    for (const from of FROM_STATES) {
      for (const kind of KINDS) {
        for (const conditions of CONDITION_SETS) {
          const d = transition({ lifecycle: from, support: 'none', conditions }, kind);
          const rule = firstMatch(kind, from, conditions);
          if (!rule) {
            expect(d).toEqual({ applied: false, reason: `no rule for ${kind} when ${from}` });
          } else {
            expect(d.applied).toBe(true);
            if (d.applied) expect(d.rule).toBe(rule.name);
          }
        }
      }
    }
  });

  it('a late event is decided by its first matching rule only when that rule is marked late', () => {
    for (const from of FROM_STATES) {
      for (const kind of KINDS) {
        for (const conditions of CONDITION_SETS) {
          const d = transition({ lifecycle: from, support: 'none', conditions }, kind, STATE_TABLE, 'late');
          const rule = firstMatch(kind, from, conditions);
          if (!rule) expect(d).toEqual({ applied: false, reason: `no rule for ${kind} when ${from}` });
          else if (!rule.late) expect(d).toEqual({ applied: false, reason: `rule ${rule.name} does not decide late events` });
          else expect(d).toEqual(transition({ lifecycle: from, support: 'none', conditions }, kind));
        }
      }
    }
    // What late means for a customer: a live subscription ends a churn; a late ending churns nobody, and a late
    // `active` never clears the past_due a newer failed payment set.
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'subscription.active', STATE_TABLE, 'late')).toMatchObject({ rule: 'first_payment', lifecycle: 'paid' });
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'trial.started', STATE_TABLE, 'late')).toMatchObject({ rule: 'trial_started', lifecycle: 'trial' });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'subscription.canceled', STATE_TABLE, 'late')).toEqual({ applied: false, reason: 'rule churned does not decide late events' });
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'subscription.past_due', STATE_TABLE, 'late')).toMatchObject({ rule: 'past_due_after_churn', lifecycle: 'past_due' });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'subscription.past_due', STATE_TABLE, 'late')).toEqual({ applied: false, reason: 'rule past_due does not decide late events' });
    expect(STATE_TABLE.filter((r) => r.late).map((r) => r.name)).toEqual(['trial_started', 'first_payment', 'past_due_after_churn']);
    expect(transition({ lifecycle: 'past_due', support: 'none' }, 'subscription.active', STATE_TABLE, 'late')).toEqual({ applied: false, reason: 'rule recovered does not decide late events' });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'trial.started', STATE_TABLE, 'late').applied).toBe(false);
  });

  it('one of several subscriptions ending churns nobody while another is live; the last one ending churns', () => {
    const live = new Set<Condition>(['another_subscription_live']);
    for (const from of ['trial', 'paid', 'past_due'] as const) {
      const stays = transition({ lifecycle: from, support: 'none', conditions: live }, 'subscription.canceled');
      expect(stays).toEqual({ applied: true, rule: 'subscription_ended_others_live', lifecycle: from, support: 'none', changed: false, effects: [] });
      const ends = transition({ lifecycle: from, support: 'none' }, 'subscription.canceled');
      expect(ends).toMatchObject({ applied: true, rule: 'churned', lifecycle: 'churned', changed: true, effects: ['crm_sync', 'slack_churned'] });
    }
    // The condition decides only the rules that ask for it: a failed payment still makes the customer past_due.
    expect(transition({ lifecycle: 'paid', support: 'none', conditions: live }, 'payment.failed')).toMatchObject({ rule: 'payment_failed', lifecycle: 'past_due' });
  });

  it('never moves a customer backwards: no rule takes paid (or past_due) to trial, and nothing leaves paid for lead', () => {
    for (const kind of KINDS) {
      for (const from of ['paid', 'past_due'] as const) {
        const d = transition({ lifecycle: from, support: 'none' }, kind);
        if (d.applied) {
          expect(d.lifecycle, `${kind} from ${from}`).not.toBe('trial');
          expect(d.lifecycle, `${kind} from ${from}`).not.toBe('lead');
        }
      }
    }
    for (const r of STATE_TABLE) {
      if (r.to === 'trial') expect(r.from === 'any' ? [] : r.from).not.toContain('paid');
    }
    // The late `trialing` case explicitly.
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'trial.started')).toEqual({
      applied: false,
      reason: 'no rule for trial.started when paid',
    });
  });

  it('a new customer becomes lead when the rule has no `to`', () => {
    const noTo = STATE_TABLE.filter((r) => r.to === undefined && (r.from === 'any' || r.from.includes('new')));
    expect(noTo.map((r) => r.name)).toEqual(expect.arrayContaining(['signup', 'profile', 'trial_ending', 'refund', 'support_needed', 'support_resolved']));
    for (const r of noTo) {
      for (const kind of r.on) {
        if (firstMatch(kind, 'new') !== r) continue;
        const d = transition({ lifecycle: 'new', support: 'none' }, kind);
        expect(d).toMatchObject({ applied: true, rule: r.name, lifecycle: 'lead', changed: true });
      }
    }
    // A known customer without `to` stays where it is.
    expect(transition({ lifecycle: 'trial', support: 'none' }, 'user.signed_up')).toEqual({
      applied: true,
      rule: 'signup',
      lifecycle: 'trial',
      support: 'none',
      changed: false,
      effects: ['crm_sync'],
    });
  });

  it('specific paths: trial → paid alerts, past_due → paid recovers quietly, paid renews silently, churned ignores failures', () => {
    expect(transition({ lifecycle: 'trial', support: 'none' }, 'subscription.active')).toMatchObject({
      rule: 'first_payment',
      lifecycle: 'paid',
      effects: ['crm_sync', 'slack_new_paying'],
    });
    expect(transition({ lifecycle: 'past_due', support: 'none' }, 'payment.succeeded')).toMatchObject({ rule: 'recovered', lifecycle: 'paid', effects: ['crm_sync'] });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'payment.succeeded')).toMatchObject({ rule: 'renewal', lifecycle: 'paid', changed: false, effects: [] });
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'payment.failed')).toEqual({ applied: false, reason: 'no rule for payment.failed when churned' });
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'subscription.active')).toMatchObject({ rule: 'first_payment', lifecycle: 'paid' });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'support.escalation_requested')).toMatchObject({
      rule: 'support_needed',
      lifecycle: 'paid',
      support: 'needs_support',
      changed: true,
    });
    expect(transition({ lifecycle: 'paid', support: 'needs_support' }, 'support.resolved')).toMatchObject({ support: 'none', changed: true });
  });

  it('an unmatched event is not applied and says why', () => {
    const d = transition({ lifecycle: 'lead', support: 'none' }, 'payment.failed', []);
    expect(d).toEqual({ applied: false, reason: 'no rule for payment.failed when lead' });
    const custom: Rule[] = [{ name: 'only_trial', on: ['trial.started'], from: ['lead'], to: 'trial', effects: [], why: 'test' }];
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'trial.started', custom)).toEqual({ applied: false, reason: 'no rule for trial.started when paid' });
    expect(transition({ lifecycle: 'lead', support: 'none' }, 'trial.started', custom)).toMatchObject({ applied: true, rule: 'only_trial', lifecycle: 'trial' });
  });
});

describe('jobsFor', () => {
  it('keys every job `<effect>:<source>:<eventId>`, stable across calls', () => {
    const e = event();
    const a = jobsFor(['crm_sync', 'slack_payment_failed'], e);
    const b = jobsFor(['crm_sync', 'slack_payment_failed'], structuredClone(e));
    expect(a.map((j) => j.idempotencyKey)).toEqual(['crm_sync:stripe:evt_1', 'slack_payment_failed:stripe:evt_1']);
    expect(b).toEqual(a);
    // Facts or time do not change the key; the cause does.
    const later = jobsFor(['crm_sync'], event({ facts: { amount_due: 1 }, occurredAt: new Date() }));
    expect(later[0]!.idempotencyKey).toBe('crm_sync:stripe:evt_1');
    expect(jobsFor(['crm_sync'], event({ source: 'app', eventId: 'e9' }))[0]!.idempotencyKey).toBe('crm_sync:app:e9');
    expect(jobsFor([], e)).toEqual([]);
  });

  it('maps each effect to its connector, kind, template and run-time requirement', () => {
    const e = event();
    const jobs = jobsFor(EFFECTS, e);
    expect(jobs).toEqual([
      { connector: 'hubspot', kind: 'upsert_contact', payload: {}, idempotencyKey: 'crm_sync:stripe:evt_1' },
      {
        connector: 'slack',
        kind: 'notify',
        payload: { template: 'new_paying_customer', facts: e.facts, requires: { lifecycle: ['paid'] } },
        idempotencyKey: 'slack_new_paying:stripe:evt_1',
      },
      {
        connector: 'slack',
        kind: 'notify',
        payload: { template: 'payment_failed', facts: e.facts, requires: { lifecycle: ['past_due'] } },
        idempotencyKey: 'slack_payment_failed:stripe:evt_1',
      },
      {
        connector: 'slack',
        kind: 'notify',
        payload: { template: 'churned', facts: e.facts, requires: { lifecycle: ['churned'] } },
        idempotencyKey: 'slack_churned:stripe:evt_1',
      },
      { connector: 'slack', kind: 'notify', payload: { template: 'refund', facts: e.facts }, idempotencyKey: 'slack_refund:stripe:evt_1' },
      {
        connector: 'zendesk',
        kind: 'create_ticket',
        payload: {
          facts: e.facts,
          requires: { support: ['needs_support'] },
          then: [
            {
              connector: 'email',
              kind: 'send',
              idempotencyKey: 'email_support_confirmation:stripe:evt_1',
              payload: { template: 'support_confirmation', facts: e.facts },
            },
          ],
        },
        idempotencyKey: 'zendesk_ticket:stripe:evt_1',
      },
      {
        connector: 'email',
        kind: 'send',
        payload: { template: 'payment_failed', facts: e.facts, requires: { lifecycle: ['past_due'] } },
        idempotencyKey: 'email_payment_failed:stripe:evt_1',
      },
      {
        connector: 'email',
        kind: 'send',
        payload: { template: 'trial_ending', facts: e.facts, requires: { lifecycle: ['trial'] } },
        idempotencyKey: 'email_trial_ending:stripe:evt_1',
      },
      { connector: 'hubspot', kind: 'update_note', payload: { note: null }, idempotencyKey: 'crm_note:stripe:evt_1' },
    ]);
    expect(new Set(jobs.map((j) => j.idempotencyKey)).size).toBe(jobs.length);
  });

  it('every effect named in the table has a builder', () => {
    for (const r of STATE_TABLE) {
      const jobs = jobsFor(r.effects, event());
      expect(jobs).toHaveLength(r.effects.length);
      jobs.forEach((j, i) => expect(j.idempotencyKey).toBe(`${r.effects[i]}:stripe:evt_1`));
    }
  });
});

describe('unmetRequirement', () => {
  it('undefined when there is no requirement or it is met', () => {
    expect(unmetRequirement(undefined, { lifecycle: 'lead', support: 'none' })).toBeUndefined();
    expect(unmetRequirement({}, { lifecycle: 'lead', support: 'none' })).toBeUndefined();
    expect(unmetRequirement({ lifecycle: ['paid'] }, { lifecycle: 'paid', support: 'needs_support' })).toBeUndefined();
    expect(unmetRequirement({ lifecycle: ['paid', 'past_due'], support: ['needs_support'] }, { lifecycle: 'past_due', support: 'needs_support' })).toBeUndefined();
  });

  it('names the current state and what the effect needs', () => {
    expect(unmetRequirement({ lifecycle: ['past_due'] }, { lifecycle: 'paid', support: 'none' })).toBe('customer is paid now (effect needs past_due)');
    expect(unmetRequirement({ lifecycle: ['paid', 'trial'] }, { lifecycle: 'churned', support: 'none' })).toBe('customer is churned now (effect needs paid or trial)');
    expect(unmetRequirement({ support: ['needs_support'] }, { lifecycle: 'paid', support: 'none' })).toBe('support is none now (effect needs needs_support)');
    // Lifecycle is checked first.
    expect(unmetRequirement({ lifecycle: ['paid'], support: ['needs_support'] }, { lifecycle: 'lead', support: 'none' })).toMatch(/^customer is lead now/);
  });

  it('the slack effects re-check against the state they were queued for', () => {
    const [paying, failed, churned] = jobsFor(['slack_new_paying', 'slack_payment_failed', 'slack_churned'], event());
    expect(unmetRequirement(paying!.payload.requires, { lifecycle: 'paid', support: 'none' })).toBeUndefined();
    expect(unmetRequirement(failed!.payload.requires, { lifecycle: 'paid', support: 'none' })).toBe('customer is paid now (effect needs past_due)');
    expect(unmetRequirement(churned!.payload.requires, { lifecycle: 'churned', support: 'none' })).toBeUndefined();
  });
});

describe('mergeLifecycle', () => {
  it('keeps the more committed lifecycle: paid > past_due > trial > churned > lead', () => {
    const order: LifecycleState[] = ['lead', 'churned', 'trial', 'past_due', 'paid'];
    expect([...LIFECYCLES].sort((a, b) => LIFECYCLE_RANK[a] - LIFECYCLE_RANK[b])).toEqual(order);
    for (const a of LIFECYCLES) {
      for (const b of LIFECYCLES) {
        const m = mergeLifecycle(a, b);
        expect(m).toBe(order.indexOf(a) >= order.indexOf(b) ? a : b);
        expect(mergeLifecycle(b, a)).toBe(m); // symmetric
      }
      expect(mergeLifecycle(a, a)).toBe(a);
    }
    expect(mergeLifecycle('lead', 'trial')).toBe('trial');
    expect(mergeLifecycle('paid', 'churned')).toBe('paid');
    expect(mergeLifecycle('churned', 'lead')).toBe('churned');
  });
});

describe('renderStateTable', () => {
  it('has a header and one row per rule, naming each rule, its events and effects', () => {
    const md = renderStateTable();
    const lines = md.split('\n');
    expect(lines[0]).toBe('| rule | event | from | late | state | effects | why |');
    expect(lines).toHaveLength(STATE_TABLE.length + 2);
    STATE_TABLE.forEach((r, i) => {
      const row = lines[i + 2]!;
      expect(md).toContain(`\`${r.name}\``);
      expect(row.startsWith(`| \`${r.name}\` |`)).toBe(true);
      for (const k of r.on) expect(row).toContain(`\`${k}\``);
      for (const e of r.effects) expect(row).toContain(e);
      if (r.to) expect(row).toContain(`→ ${r.to}`);
      expect(row.split(' | ')[3]).toBe(r.late ? 'yes' : '');
      expect(row).toContain(r.why);
    });
  });
});
