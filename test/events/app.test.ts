import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { AppEventSchema, appEscalationId, fromApp, type FieldError } from '../../src/events/index.js';

const now = new Date('2026-03-01T12:00:00.000Z');

function details(body: unknown): FieldError[] {
  try {
    fromApp(body, now);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as BadRequestError).details as FieldError[];
  }
  throw new Error('expected a BadRequestError');
}

describe('fromApp', () => {
  it('maps a signup with a normalised email, the user id and the name; time defaults to now', () => {
    const e = fromApp({ id: 'su-1', type: 'user.signed_up', customer: { email: ' Ann@Example.COM', user_id: 'u_42', name: ' Ann ' } }, now);
    expect(e).toEqual({
      source: 'app',
      eventId: 'su-1',
      sourceType: 'user.signed_up',
      kind: 'user.signed_up',
      occurredAt: now,
      identities: { email: 'ann@example.com', app_user: 'u_42' },
      name: 'Ann',
      facts: {},
    });
  });

  it('accepts a user id alone, and an occurred_at with an offset', () => {
    const e = fromApp({ id: 'a-1', type: 'user.activated', occurred_at: '2026-02-01T10:00:00+02:00', customer: { user_id: 'u_1' } }, now);
    expect(e.identities).toEqual({ app_user: 'u_1' });
    expect(e.occurredAt.toISOString()).toBe('2026-02-01T08:00:00.000Z');
  });

  it('requires customer.email or customer.user_id', () => {
    expect(details({ id: 'x', type: 'trial.started', customer: { name: 'No Id' } })).toEqual([
      { path: 'customer', message: 'customer.email or customer.user_id is required' },
    ]);
  });

  it('lists every field error at once', () => {
    const d = details({ id: '', type: 'user.deleted', occurred_at: '2026-02-01T10:00:00', customer: { email: 'not-an-email' }, data: [1] });
    expect(d.map((x) => x.path).sort()).toEqual(['customer.email', 'data', 'id', 'occurred_at', 'type']);
    expect(d.find((x) => x.path === 'customer.email')?.message).toBe('must be a valid email address');
    expect(d.every((x) => typeof x.message === 'string' && x.message.length > 0)).toBe(true);
  });

  it('rejects a missing customer and a non-object body', () => {
    expect(details({ id: 'x', type: 'trial.started' }).map((x) => x.path)).toEqual(['customer']);
    expect(details('hello')).toEqual([expect.objectContaining({ path: '(body)' })]);
    expect(details({ id: 'x'.repeat(201), type: 'trial.started', customer: { user_id: 'u' } }).map((x) => x.path)).toEqual(['id']);
  });

  it('escalation: subject truncated, priority kept, id defaults to the event id, nothing nested copied', () => {
    const e = fromApp(
      {
        id: 'esc-evt-1',
        type: 'support.escalation_requested',
        customer: { email: 'a@b.co' },
        data: { subject: 's'.repeat(500), priority: 'high', transcript: [{ role: 'user', text: 'help' }], meta: { a: 1 }, escalation_id: { evil: true } },
      },
      now,
    );
    expect(e.kind).toBe('support.escalation_requested');
    expect(e.facts).toEqual({ escalation_id: appEscalationId({ email: 'a@b.co' }, 'esc-evt-1'), app_escalation_id: 'esc-evt-1', subject: 's'.repeat(200), priority: 'high' });
  });

  it('escalation and resolution share the given escalation_id; non-string priority is dropped', () => {
    const esc = fromApp({ id: 'e2', type: 'support.escalation_requested', customer: { user_id: 'u' }, data: { escalation_id: 'esc-9', priority: 3 } }, now);
    const scoped = appEscalationId({ user_id: 'u' }, 'esc-9');
    expect(esc.facts).toEqual({ escalation_id: scoped, app_escalation_id: 'esc-9' });
    const res = fromApp({ id: 'r2', type: 'support.resolved', customer: { user_id: 'u' }, data: { escalation_id: 'esc-9', note: { x: 1 } } }, now);
    expect(res.facts).toEqual({ escalation_id: scoped, app_escalation_id: 'esc-9' });
  });

  it("an escalation id is the app's and scoped to its customer: two customers' escalation \"1\" are two helpdesk keys", () => {
    const key = (customer: Record<string, string>) =>
      fromApp({ id: `k-${JSON.stringify(customer)}`, type: 'support.escalation_requested', customer, data: { escalation_id: 1 } }, now).facts.escalation_id;
    const ada = key({ email: 'ada@example.com' });
    const bob = key({ email: 'bob@example.com' });
    expect(ada).toMatch(/^app:[0-9a-f]{12}:1$/);
    expect(bob).not.toBe(ada);
    // The app user id, when given, is the key (stable when the email changes); the same user's events agree.
    expect(key({ user_id: 'u1', email: 'ada@example.com' })).toBe(key({ user_id: 'u1', email: 'ada.new@example.com' }));
    expect(key({ user_id: 'u1' })).not.toBe(key({ user_id: 'u2' }));
    // Never the chatbot's namespace: an app escalation and a chatbot conversation cannot share a ticket by accident.
    expect(String(ada).startsWith('chatbot:')).toBe(false);
  });

  it('escalation message: trimmed, capped at 10,000 characters without splitting a surrogate pair; plan and mrr kept', () => {
    const esc = (data: Record<string, unknown>) => fromApp({ id: 'm', type: 'support.escalation_requested', customer: { user_id: 'u' }, data }, now).facts;
    const m = { escalation_id: appEscalationId({ user_id: 'u' }, 'm'), app_escalation_id: 'm' };
    expect(esc({ message: '  I cannot log in \n', plan: ' Pro ', mrr: 49.5 })).toEqual({ ...m, message: 'I cannot log in', plan: 'Pro', mrr: 49.5 });
    const long = esc({ message: `${'a'.repeat(9_999)}😀tail` }).message as string;
    expect(long).toBe('a'.repeat(9_999)); // the emoji would be cut in half: dropped whole
    expect(long.isWellFormed()).toBe(true);
    expect((esc({ message: 'b'.repeat(20_000) }).message as string).length).toBe(10_000);
    expect(esc({ message: '   ', plan: { x: 1 }, mrr: -1 })).toEqual(m);
    expect(esc({ message: 42, mrr: '49' })).toEqual(m);
    // Subjects are cut the same way (a lone surrogate would make the jsonb write fail).
    expect(esc({ subject: `${'s'.repeat(199)}😀` }).subject).toBe('s'.repeat(199));
  });

  it('other types keep no data in facts', () => {
    expect(fromApp({ id: 't', type: 'trial.started', customer: { user_id: 'u' }, data: { plan: 'pro', n: 1 } }, now).facts).toEqual({});
  });

  it('the exported schema drops unknown top-level keys and outputs the normalised email', () => {
    const out = AppEventSchema.parse({ id: 'x', type: 'support.resolved', customer: { email: 'X@Y.io' }, extra: 1 });
    expect(out).toEqual({ id: 'x', type: 'support.resolved', customer: { email: 'x@y.io' } });
  });
});
