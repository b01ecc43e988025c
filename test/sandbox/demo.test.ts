import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/sandbox/run-demo.js';

/**
 * `handoff demo` end to end: the scripted journey over real HTTP into a real Handoff (in-memory PGlite), every
 * connector on the sandbox emulators, until the outbox has drained. What each tool received is the proof.
 */
describe('handoff demo (self-contained)', () => {
  it('signup → checkout → failed payment → escalation → Stripe retry: each tool hears once, the CRM ends on the final truth', async () => {
    const r = await runDemo({ waitMs: 60_000 });
    expect(r.settled).toBe(true);
    expect(r.steps.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    expect(r.steps.map((s) => (s.body as { duplicate: boolean }).duplicate)).toEqual([false, false, false, false, true]);

    expect(r.customer).toMatchObject({ email: 'ada@demo.example', lifecycle: 'past_due', support: 'needs_support' });
    const [contact, ...moreContacts] = r.sent.hubspot;
    expect(moreContacts).toEqual([]);
    // The CRM carries the customer's FINAL state, whatever order the syncs ran in.
    expect(contact!.properties).toMatchObject({ email: 'ada@demo.example', lifecyclestage: 'customer', handoff_lifecycle: 'past_due', handoff_support: 'needs_support' });

    expect(r.sent.zendesk).toHaveLength(1);
    expect(r.sent.zendesk[0]).toMatchObject({ subject: 'My card was declined but I still see a charge', comments: 1 });
    expect(r.customer.identities).toContainEqual({ kind: 'zendesk_ticket', value: String(r.sent.zendesk[0]!.id) });

    expect(r.sent.slack).toHaveLength(2);
    expect(r.sent.slack[0]).toMatch(/New paying customer/);
    expect(r.sent.slack[1]).toMatch(/Payment failed/);
    expect(r.sent.email.map((e) => e.subject)).toEqual(['We couldn\'t take your payment of $49.00', `We got your request (ticket #${r.sent.zendesk[0]!.id})`]);
    expect(new Set(r.sent.email.map((e) => e.to.join()))).toEqual(new Set(['ada@demo.example']));
    // One signed message per change (signup, paid, past_due, needs_support); the duplicate adds none.
    expect(r.sent.webhook).toHaveLength(4);
    expect(new Set(r.sent.webhook.map((w) => w.type))).toEqual(new Set(['customer.updated']));
  });
});
