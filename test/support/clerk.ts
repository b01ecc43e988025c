/**
 * A Clerk `user.created` delivery as Clerk sends it (PROVIDERS.md): the primary address is named by
 * `primary_email_address_id` and is deliberately NOT the first in the list.
 */
export function clerkUserCreated(opts: { userId?: string; primary?: string; other?: string; first?: string; last?: string } = {}) {
  return {
    type: 'user.created',
    object: 'event',
    timestamp: Date.now(),
    data: {
      id: opts.userId ?? 'user_clerk_1',
      primary_email_address_id: 'idn_2',
      email_addresses: [
        { id: 'idn_1', email_address: opts.other ?? 'old@example.com' },
        { id: 'idn_2', email_address: opts.primary ?? 'Primary@Example.com' },
      ],
      first_name: opts.first ?? 'Pat',
      last_name: opts.last ?? 'Lee',
      created_at: Date.now(),
    },
  };
}
