import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { fromClerk } from '../../src/events/index.js';

/** A Clerk user.created payload in the documented shape (two addresses; the primary is NOT first). */
function userCreated(data: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    type: 'user.created',
    object: 'event',
    timestamp: 1735197879343,
    instance_id: 'ins_2mGlQ2ZbnYQ2q1Bx9nD4ODmGEPp',
    event_attributes: { http_request: { client_ip: '0.0.0.0', user_agent: 'Mozilla/5.0' } },
    data: {
      id: 'user_29w83sxmDNGwOuEthce5gg56FcC',
      object: 'user',
      primary_email_address_id: 'idn_primary',
      email_addresses: [
        {
          id: 'idn_other',
          object: 'email_address',
          email_address: 'old-work@example.org',
          verification: { status: 'verified', strategy: 'email_code' },
          linked_to: [],
        },
        {
          id: 'idn_primary',
          object: 'email_address',
          email_address: '  Jane.Doe@Example.COM ',
          verification: { status: 'verified', strategy: 'ticket' },
          linked_to: [],
        },
      ],
      first_name: 'Jane',
      last_name: 'Doe',
      image_url: 'https://img.clerk.com/x',
      phone_numbers: [],
      public_metadata: { plan: { nested: true } },
      created_at: 1735197878000,
      updated_at: 1735197878500,
      ...data,
    },
    ...top,
  };
}
const headers = { id: 'msg_2pVZkFZ3eJ9r6s1' };

function thrown(fn: () => unknown): BadRequestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return e as BadRequestError;
  }
  throw new Error('expected a BadRequestError');
}

describe('fromClerk', () => {
  it('user.created → user.signed_up with the primary email chosen by id, not position', () => {
    const e = fromClerk(userCreated(), headers);
    expect(e).toEqual({
      source: 'clerk',
      eventId: 'msg_2pVZkFZ3eJ9r6s1',
      sourceType: 'user.created',
      kind: 'user.signed_up',
      occurredAt: new Date(1735197879343),
      identities: { clerk_user: 'user_29w83sxmDNGwOuEthce5gg56FcC', email: 'jane.doe@example.com' },
      name: 'Jane Doe',
      facts: {},
    });
  });

  it('picks the primary when it is first, too (no positional bias either way)', () => {
    const payload = userCreated({ primary_email_address_id: 'idn_other' });
    expect(fromClerk(payload, headers).identities.email).toBe('old-work@example.org');
  });

  it.each([
    ['no primary id', { primary_email_address_id: null }],
    ['a primary id matching no address', { primary_email_address_id: 'idn_gone' }],
    ['no addresses', { email_addresses: [] }],
  ])('%s → no email identity, still linked by clerk_user', (_label, data) => {
    const e = fromClerk(userCreated(data), headers);
    expect(e.identities).toEqual({ clerk_user: 'user_29w83sxmDNGwOuEthce5gg56FcC' });
    expect(e.kind).toBe('user.signed_up');
  });

  it('user.updated → user.updated, timed by updated_at when the payload has no timestamp', () => {
    const e = fromClerk(userCreated({ updated_at: 1735300000000 }, { type: 'user.updated', timestamp: undefined }), headers);
    expect(e.kind).toBe('user.updated');
    expect(e.occurredAt).toEqual(new Date(1735300000000));
  });

  it('falls back to data.created_at, then the webhook timestamp header (seconds)', () => {
    expect(fromClerk(userCreated({}, { timestamp: undefined }), headers).occurredAt).toEqual(new Date(1735197878000));
    const bare = userCreated({ created_at: undefined, updated_at: undefined }, { timestamp: undefined });
    expect(fromClerk(bare, { id: 'msg_1', timestamp: '1735197900' }).occurredAt).toEqual(new Date(1735197900_000));
    expect(thrown(() => fromClerk(bare, { id: 'msg_1' })).details).toEqual([expect.objectContaining({ path: 'timestamp' })]);
  });

  it('name: first and last joined; missing parts dropped; none → no name', () => {
    expect(fromClerk(userCreated({ last_name: null }), headers).name).toBe('Jane');
    expect(fromClerk(userCreated({ first_name: null, last_name: ' ' }), headers).name).toBeUndefined();
  });

  it('other types are ignored with a reason, keeping the user id when the payload names one', () => {
    const deleted = fromClerk({ type: 'user.deleted', object: 'event', timestamp: 1, data: { id: 'user_9', object: 'user', deleted: true } }, headers);
    expect(deleted.kind).toBeNull();
    expect(deleted.ignoredReason).toBe('no rule for clerk event type user.deleted');
    expect(deleted.identities).toEqual({ clerk_user: 'user_9' });
    const session = fromClerk({ type: 'session.created', timestamp: 1, data: { id: 'sess_1', user_id: 'user_9' } }, headers);
    expect(session.kind).toBeNull();
    expect(session.identities).toEqual({ clerk_user: 'user_9' });
  });

  it('an invalid user payload is a BadRequestError listing every field problem', () => {
    const payload = userCreated({ id: undefined, email_addresses: [{ id: 'idn_1' }], first_name: 7 });
    const err = thrown(() => fromClerk(payload, headers));
    const paths = (err.details as Array<{ path: string }>).map((d) => d.path).sort();
    expect(paths).toEqual(['data.email_addresses.0.email_address', 'data.first_name', 'data.id']);
  });

  it('rejects a body without type/data, and a missing message id', () => {
    const err = thrown(() => fromClerk({ object: 'event' }, headers));
    expect((err.details as Array<{ path: string }>).map((d) => d.path).sort()).toEqual(['data', 'type']);
    expect(() => fromClerk(userCreated(), { id: '' })).toThrow(/message id/);
  });
});
