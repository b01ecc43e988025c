import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_LIFECYCLE_MAP } from '../../src/config/index.js';
import { STATE_TABLE, transition } from '../../src/lifecycle/index.js';
import { CandidateError, parseCandidate } from '../../src/rehearse/index.js';
import { parseSince } from '../../src/rehearse/service.js';
import { repoRoot } from '../support/stripe-fixtures.js';

const current = { table: STATE_TABLE, lifecycleMap: DEFAULT_HUBSPOT_LIFECYCLE_MAP };

function problems(value: unknown): Array<{ path: string; message: string }> {
  try {
    parseCandidate(value, current);
  } catch (err) {
    expect(err).toBeInstanceOf(CandidateError);
    return (err as CandidateError).details;
  }
  throw new Error('expected the candidate to be refused');
}

describe('the rehearsal config file', () => {
  it('no file (or {}) is the current configuration: a self-check', () => {
    for (const v of [undefined, {}, { rules: {} }, { hubspotLifecycleMap: { paid: 'customer' } }]) {
      const c = parseCandidate(v, current);
      expect(c.unchanged).toBe(true);
      expect(c.changes).toEqual([]);
      expect(c.table.map((r) => r.name)).toEqual(STATE_TABLE.map((r) => r.name));
    }
  });

  it('changes one rule in place and decides with it; every other rule is untouched', () => {
    const c = parseCandidate({ rules: { change: { refund: { to: 'churned', effects: ['crm_sync', 'slack_refund'] } } } }, current);
    expect(c.unchanged).toBe(false);
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'charge.refunded', c.table)).toMatchObject({ applied: true, rule: 'refund', lifecycle: 'churned', effects: ['crm_sync', 'slack_refund'] });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'charge.refunded')).toMatchObject({ lifecycle: 'paid', effects: ['slack_refund'] });
    expect(c.table.filter((r) => r.name !== 'refund')).toEqual(STATE_TABLE.filter((r) => r.name !== 'refund'));
    // The current table itself is never modified.
    expect(STATE_TABLE.find((r) => r.name === 'refund')!.to).toBeUndefined();
  });

  it('null removes a rule\'s target state; remove drops rules; add places a rule before another (first match wins)', () => {
    const c = parseCandidate(
      {
        rules: {
          change: { churned: { to: null } },
          remove: ['trial_ending'],
          add: [{ name: 'refund_churns', on: ['charge.refunded'], from: ['paid'], to: 'churned', effects: ['slack_churned'], before: 'refund' }],
        },
      },
      current,
    );
    expect(c.table.find((r) => r.name === 'churned')!.to).toBeUndefined();
    expect(c.table.some((r) => r.name === 'trial_ending')).toBe(false);
    const names = c.table.map((r) => r.name);
    expect(names.indexOf('refund_churns')).toBe(names.indexOf('refund') - 1);
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'charge.refunded', c.table)).toMatchObject({ rule: 'refund_churns', lifecycle: 'churned' });
    expect(transition({ lifecycle: 'trial', support: 'none' }, 'charge.refunded', c.table)).toMatchObject({ rule: 'refund' });
    expect(c.changes).toEqual(['rule churned changed (to: null)', 'rule trial_ending removed', 'rule refund_churns added before refund']);
  });

  it("a rule's condition (when) can be removed, added and is validated", () => {
    const live = new Set(['another_subscription_live'] as const);
    // Without its condition the several-subscriptions rule shadows `churned`: every cancellation keeps the state.
    const c = parseCandidate({ rules: { change: { subscription_ended_others_live: { when: null } } } }, current);
    expect(c.unchanged).toBe(false);
    expect(c.table.find((r) => r.name === 'subscription_ended_others_live')!.when).toBeUndefined();
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'subscription.canceled', c.table)).toMatchObject({ rule: 'subscription_ended_others_live', lifecycle: 'paid' });
    const added = parseCandidate(
      { rules: { add: [{ name: 'refund_others_live', on: ['charge.refunded'], from: 'any', when: 'another_subscription_live', effects: [], before: 'refund' }] } },
      current,
    );
    expect(transition({ lifecycle: 'paid', support: 'none', conditions: live }, 'charge.refunded', added.table)).toMatchObject({ rule: 'refund_others_live' });
    expect(transition({ lifecycle: 'paid', support: 'none' }, 'charge.refunded', added.table)).toMatchObject({ rule: 'refund' });
    const p = problems({ rules: { change: { churned: { when: 'full_moon' } } } });
    expect(p.map((x) => x.path)).toEqual(['rules.change.churned.when']);
    expect(p[0]!.message).toBe('unknown condition "full_moon"; expected one of another_subscription_live');
  });

  it("a rule's late flag can be taken away and given, and is part of what a change compares", () => {
    const off = parseCandidate({ rules: { change: { first_payment: { late: false } } } }, current);
    expect(off.unchanged).toBe(false);
    expect(off.changes).toEqual(['rule first_payment changed (late: false)']);
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'subscription.active', off.table, 'late')).toEqual({ applied: false, reason: 'rule first_payment does not decide late events' });
    expect(transition({ lifecycle: 'churned', support: 'none' }, 'subscription.active', current.table, 'late')).toMatchObject({ applied: true, rule: 'first_payment', lifecycle: 'paid' });
    const on = parseCandidate({ rules: { change: { recovered: { late: true } } } }, current);
    expect(transition({ lifecycle: 'past_due', support: 'none' }, 'subscription.active', on.table, 'late')).toMatchObject({ applied: true, rule: 'recovered' });
    // Giving a flag the rule already has changes nothing.
    expect(parseCandidate({ rules: { change: { first_payment: { late: true } } } }, current).unchanged).toBe(true);
    expect(problems({ rules: { change: { churned: { late: 'yes' } } } }).map((x) => x.path)).toEqual(['rules.change.churned.late']);
  });

  it('a complete table replaces the current one', () => {
    const c = parseCandidate({ table: [{ name: 'only', on: ['user.signed_up'], from: 'any', effects: [] }] }, current);
    expect(c.table).toEqual([{ name: 'only', on: ['user.signed_up'], from: 'any', effects: [], why: '(rehearsal candidate)' }]);
    expect(transition({ lifecycle: 'lead', support: 'none' }, 'payment.failed', c.table)).toMatchObject({ applied: false });
  });

  it('every bad field is named by its path, all at once', () => {
    expect(problems({ rules: { change: { refund: { to: 'gone', effects: ['crm_sync', 'crm_sync'] } } }, extra: 1 }).map((p) => p.path).sort()).toEqual([
      '(top level)',
      'rules.change.refund.effects',
      'rules.change.refund.to',
    ]);
    expect(problems({ rules: { add: [{ name: 'Bad Name', on: [], from: ['limbo'], effects: ['fax'] }] } }).map((p) => p.path).sort()).toEqual([
      'rules.add.0.effects.0',
      'rules.add.0.from',
      'rules.add.0.name',
      'rules.add.0.on',
    ]);
    expect(problems({ rules: { add: [{ name: 'x', on: ['user.signed_up'], from: ['limbo'], effects: [] }] } })[0]!.message).toBe(
      'must be "any" or a non-empty list of states (new, lead, trial, paid, past_due, churned)',
    );
    expect(problems({ hubspotLifecycleMap: { vip: 'evangelist' } })[0]!.path).toMatch(/^hubspotLifecycleMap/);
    expect(problems({ table: [], rules: {} }).map((p) => p.path)).toContain('table');
  });

  it('rule names must exist (change, remove, before) or be new (add), with the known rules listed', () => {
    const p = problems({ rules: { change: { refundd: { to: 'churned' } }, remove: ['nope'], add: [{ name: 'signup', on: ['user.signed_up'], from: 'any', effects: [] }, { name: 'x', on: ['user.signed_up'], from: 'any', effects: [], before: 'missing' }] } });
    expect(p.map((x) => x.path)).toEqual(['rules.change.refundd', 'rules.remove.0', 'rules.add.0.name', 'rules.add.1.before']);
    expect(p[0]!.message).toContain('the rules are signup, profile,');
  });

  it('a changed HubSpot map is a change even with the same table', () => {
    const c = parseCandidate({ hubspotLifecycleMap: { churned: 'other' } }, current);
    expect(c.unchanged).toBe(false);
    expect(c.lifecycleMap).toEqual({ ...DEFAULT_HUBSPOT_LIFECYCLE_MAP, churned: 'other' });
    expect(c.changes).toEqual(['HubSpot lifecycle stage for churned: customer → other']);
  });

  it('every example in examples/rehearse is a valid candidate that changes something', () => {
    const dir = path.join(repoRoot, 'examples/rehearse');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(parseCandidate(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), current).unchanged, f).toBe(false);
  });

  it('--since takes ISO dates and times or a span back from now', () => {
    const now = new Date('2026-11-27T12:00:00Z');
    expect(parseSince('2026-11-01', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T08:30:00+02:00', now).toISOString()).toBe('2026-11-01T06:30:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-20T12:00:00.000Z');
    expect(parseSince('90m', now).toISOString()).toBe('2026-11-27T10:30:00.000Z');
    for (const bad of ['', 'yesterday', '2026-13-45', '7w', '2026-11-01T25:00:00Z']) expect(() => parseSince(bad, now), bad).toThrow(/since/);
  });
});
