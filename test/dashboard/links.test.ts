import { describe, expect, it } from 'vitest';
import { localPath } from '../../src/dashboard/guard.js';
import { providerUrl } from '../../src/dashboard/links.js';
import { prefixPattern } from '../../src/dashboard/params.js';

describe('dashboard links and inputs', () => {
  it('provider links keep their host whatever the identity value', () => {
    expect(providerUrl('stripe_customer', 'cus_123', {})).toBe('https://dashboard.stripe.com/customers/cus_123');
    expect(providerUrl('stripe_customer', 'cus_123', { stripeLive: false })).toBe('https://dashboard.stripe.com/test/customers/cus_123');
    expect(providerUrl('stripe_customer', '../../evil.example/x?y#z', {})).toBe('https://dashboard.stripe.com/customers/..%2F..%2Fevil.example%2Fx%3Fy%23z');
    expect(providerUrl('zendesk_ticket', '42', { zendeskBaseUrl: 'https://acme.zendesk.com' })).toBe('https://acme.zendesk.com/agent/tickets/42');
    expect(providerUrl('zendesk_user', '7', { zendeskBaseUrl: 'https://acme.zendesk.com' })).toBe('https://acme.zendesk.com/agent/users/7');
    expect(providerUrl('zendesk_ticket', '42', {})).toBeUndefined();
    expect(providerUrl('hubspot_contact', '101', {})).toBeUndefined();
    expect(providerUrl('email', 'a@example.com', {})).toBeUndefined();
  });

  it('only local paths are followed after login or an action', () => {
    for (const ok of ['/', '/jobs?status=dead', '/customers/jane%40example.com']) expect(localPath(ok, '/x')).toBe(ok);
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', '/login', '/login?next=/', '/logout', '/a b', '/a\nb', 42, undefined]) {
      expect(localPath(bad, '/x')).toBe('/x');
    }
  });

  it('a search is a literal prefix: LIKE wildcards in it match only themselves', () => {
    expect(prefixPattern('Jane')).toBe('jane%');
    expect(prefixPattern('50%_off\\')).toBe('50\\%\\_off\\\\%');
  });
});
