import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { fromZendesk, ZENDESK_STATUS_CHANGED, ZENDESK_TRIGGER_TYPE, type FieldError } from '../../src/events/index.js';
import { zendeskStatusChanged } from '../emulators/index.js';

const received = new Date('2026-03-01T12:00:05Z');

/** The documented example delivery for ticket.status_changed (ids as strings, statuses upper-case). */
const solved = {
  account_id: 22129848,
  detail: {
    id: '5158',
    subject: 'Cannot login to mobile app',
    status: 'SOLVED',
    priority: 'HIGH',
    external_id: 'esc-9',
    requester_id: '8447388090494',
    created_at: '2025-01-08T10:12:07Z',
    updated_at: '2025-01-08T16:45:20Z',
  },
  event: { current: 'SOLVED', previous: 'OPEN' },
  id: 'a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
  subject: 'zen:ticket:5158',
  time: '2025-01-08T16:45:20.987654321Z',
  type: 'zen:event-type:ticket.status_changed',
  zendesk_event_version: '2022-11-06',
};

function details(payload: unknown): FieldError[] {
  try {
    fromZendesk(payload, received);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as BadRequestError).details as FieldError[];
  }
  throw new Error('expected a BadRequestError');
}

describe('fromZendesk: event subscriptions', () => {
  it('ticket solved → support.resolved with the ticket as identity (never the requester id), ordered per ticket', () => {
    expect(fromZendesk(solved, received)).toEqual({
      source: 'zendesk',
      eventId: 'a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
      sourceType: ZENDESK_STATUS_CHANGED,
      kind: 'support.resolved',
      occurredAt: new Date('2025-01-08T16:45:20.987Z'),
      identities: { zendesk_ticket: '5158' },
      facts: { ticket_id: 5158, ticket_status: 'solved', zendesk_status: 'solved', escalation_id: 'esc-9' },
      watermark: { keys: ['zendesk_ticket:5158'], created: Math.floor(Date.parse('2025-01-08T16:45:20.987Z') / 1000) },
    });
  });

  it('closed resolves too; other statuses change nothing but keep the status for the pipeline', () => {
    expect(fromZendesk({ ...solved, event: { current: 'CLOSED', previous: 'SOLVED' } }, received)).toMatchObject({ kind: 'support.resolved', facts: { ticket_status: 'closed' } });
    for (const s of ['NEW', 'OPEN', 'PENDING', 'HOLD']) {
      const e = fromZendesk({ ...solved, event: { current: s, previous: 'SOLVED' }, detail: { ...solved.detail, status: s } }, received);
      expect(e.kind).toBeNull();
      expect(e.facts).toMatchObject({ ticket_id: 5158, ticket_status: 'open', zendesk_status: s.toLowerCase() });
      expect(e.ignoredReason).toBe(`zendesk ticket #5158 is ${s.toLowerCase()}: support changes only when a ticket is solved or closed`);
    }
    expect(fromZendesk({ ...solved, event: { current: 'DELETED', previous: 'OPEN' } }, received)).toMatchObject({ kind: null, facts: { ticket_status: 'closed' } });
  });

  it('reads the status from detail when the event object is absent; external_id null is left out', () => {
    const e = fromZendesk({ ...solved, event: undefined, detail: { ...solved.detail, external_id: null } }, received);
    expect(e.kind).toBe('support.resolved');
    expect(e.facts).toEqual({ ticket_id: 5158, ticket_status: 'solved', zendesk_status: 'solved' });
  });

  it('round-trips what the emulator sends', () => {
    const e = zendeskStatusChanged(
      { id: 42, status: 'solved', subject: 's', priority: 'high', requester_id: 7, external_id: 'esc-1', tags: [], created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' },
      'open',
      { id: 'evt-x', time: received },
    );
    expect(fromZendesk(e, received)).toMatchObject({ eventId: 'evt-x', kind: 'support.resolved', identities: { zendesk_ticket: '42' }, facts: { ticket_id: 42, escalation_id: 'esc-1' } });
  });

  it('other zen event types are acknowledged with kind null', () => {
    const e = fromZendesk({ ...solved, type: 'zen:event-type:ticket.comment_added' }, received);
    expect(e).toMatchObject({ kind: null, facts: {}, identities: { zendesk_ticket: '5158' } });
    expect(e.ignoredReason).toMatch(/no rule for zendesk event type zen:event-type:ticket.comment_added/);
    expect(fromZendesk({ ...solved, type: 'zen:event-type:user.created', detail: { id: '99' } }, received).identities).toEqual({});
  });

  it('rejects malformed deliveries with every problem listed, never a crash', () => {
    expect(details({ ...solved, id: '' }).map((d) => d.path)).toEqual(['id']);
    expect(details({ ...solved, detail: { ...solved.detail, id: 'abc' } }).map((d) => d.path)).toEqual(['detail.id']);
    expect(details({ ...solved, detail: { status: 'SOLVED' } }).map((d) => d.path)).toEqual(['detail.id']);
    expect(details({ ...solved, event: { current: 'EXPLODED' } }).map((d) => d.path)).toEqual(['status']);
    expect(details({ ...solved, time: 'soon' }).map((d) => d.path)).toEqual(['time']);
    expect(details({ ...solved, type: 'something.else' }).map((d) => d.path)).toEqual(['type']);
  });
});

describe('fromZendesk: trigger bodies (README template)', () => {
  const trigger = { ticket_id: '77', status: 'Solved', external_id: 'esc-3', requester_email: ' Ada@Example.com ', updated_at: '2026-03-01T11:59:00Z' };

  it('maps the template: status case-insensitive, requester email as an identity, id from ticket + status + time', () => {
    expect(fromZendesk(trigger, received)).toEqual({
      source: 'zendesk',
      eventId: 'ticket-77-solved-2026-03-01T11:59:00Z',
      sourceType: ZENDESK_TRIGGER_TYPE,
      kind: 'support.resolved',
      occurredAt: new Date('2026-03-01T11:59:00Z'),
      identities: { zendesk_ticket: '77', email: 'ada@example.com' },
      facts: { ticket_id: 77, ticket_status: 'solved', zendesk_status: 'solved', escalation_id: 'esc-3' },
      watermark: { keys: ['zendesk_ticket:77'], created: Math.floor(Date.parse('2026-03-01T11:59:00Z') / 1000) },
    });
  });

  it('empty placeholders are absent; without a parseable updated_at the signed time stands in', () => {
    const e = fromZendesk({ ticket_id: 77, status: 'On-hold', external_id: '', requester_email: '', updated_at: '' }, received);
    expect(e).toMatchObject({ kind: null, identities: { zendesk_ticket: '77' }, facts: { ticket_status: 'open' }, occurredAt: received });
    expect(e.eventId).toBe(`ticket-77-on-hold-${received.toISOString()}`);
    expect(fromZendesk({ ...trigger, updated_at: 'March 1, 2026 11:59' }, received).eventId).toBe('ticket-77-solved-March 1, 2026 11:59');
  });

  it('a body of neither shape → 400 naming the fields', () => {
    expect(details({ hello: 'world' }).map((d) => d.path).sort()).toEqual(['status', 'ticket_id']);
    expect(details('just text').map((d) => d.path)).toEqual(['(body)']);
    expect(details({ ...trigger, status: 'Exploded' }).map((d) => d.path)).toEqual(['status']);
  });
});
