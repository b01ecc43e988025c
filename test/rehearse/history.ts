import { expect } from 'vitest';
import {
  signZendeskWebhook,
  startHubspotEmulator,
  startSlackEmulator,
  startWebhookReceiver,
  startZendeskEmulator,
  zendeskStatusChanged,
  type HubspotEmulator,
  type SlackEmulator,
  type WebhookReceiver,
  type ZendeskEmulator,
} from '../emulators/index.js';
import { appEventRequest, clerkRequest, stripeRequest, type TestApp } from '../support/app.js';
import type { Queryable } from '../../src/db/index.js';
import { DEFAULT_CREATED, stripeEvent, type JsonObject, type StripeEventJson } from '../support/stripe-fixtures.js';
import { settled } from '../support/wait.js';
import { appEscalationId } from '../../src/events/index.js';

export const ZENDESK_SECRET = 'zendesk-signing-secret-rehearse-01';

export interface Emulators {
  hubspot: HubspotEmulator;
  slack: SlackEmulator;
  zendesk: ZendeskEmulator;
  outbound: WebhookReceiver;
  /** Every request any emulator has received so far ("slack POST /path"). */
  calls(): string[];
  close(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [hubspot, slack, zendesk, outbound] = await Promise.all([startHubspotEmulator(), startSlackEmulator(), startZendeskEmulator(), startWebhookReceiver()]);
  return {
    hubspot,
    slack,
    zendesk,
    outbound,
    calls: () =>
      Object.entries({ hubspot, slack, zendesk, outbound }).flatMap(([name, em]) => em.requests.map((r) => `${name} ${r.method} ${r.path} ${JSON.stringify(r.body ?? null).slice(0, 300)}`)),
    close: async () => {
      await Promise.all([hubspot.close(), slack.close(), zendesk.close(), outbound.close()]);
    },
  };
}

/** Handoff's environment for these emulators: every connector on, so every effect is a real job. */
export const envFor = (e: Emulators): Record<string, string> => ({
  HUBSPOT_ACCESS_TOKEN: e.hubspot.token,
  HUBSPOT_BASE_URL: e.hubspot.url,
  SLACK_WEBHOOK_URL: e.slack.url,
  ZENDESK_BASE_URL: e.zendesk.url,
  ZENDESK_EMAIL: e.zendesk.email,
  ZENDESK_API_TOKEN: e.zendesk.apiToken,
  ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
  OUTBOUND_WEBHOOK_URL: e.outbound.url,
  OUTBOUND_WEBHOOK_SECRET: e.outbound.secret,
  // Alert rules off: their Slack messages would be real calls unrelated to what a rehearsal must not send.
  ALERT_EVAL_INTERVAL_MS: '0',
});

/** The ids a test needs to name the events of the history. */
export interface History {
  /** Between phase 1 and phase 2: `--since mid` hands phase 2 to the candidate. */
  mid: Date;
  /** Before anything: `--since start` hands the whole history to the candidate. */
  start: Date;
  aliceRefund: string;
  daveRefund: string;
  bobFirstFailure: string;
  bobSecondFailure: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A small SaaS's month, through the real HTTP app with the dispatcher delivering to the emulators:
 *   phase 1 — Clerk signups (alice, bob, carol); alice and dave pay (Stripe invoices); bob's payment fails;
 *             dave cancels and is refunded; carol escalates from the app (a Zendesk ticket is created and
 *             linked by the dispatcher); frank escalates through the chatbot (another ticket).
 *   phase 2 — alice is refunded (she stays paid under the current table); bob's second payment fails; carol's
 *             ticket is solved in Zendesk (its webhook resolves her support state); erin signs up in the
 *             app and activates.
 */
export async function buildHistory(rt: TestApp, db: Queryable, e: Emulators): Promise<History> {
  let created = DEFAULT_CREATED;
  const stripe = async (type: string, object: 'invoice' | 'subscription' | 'charge', over: JsonObject): Promise<StripeEventJson> => {
    created += 600;
    const evt = stripeEvent(type, object, over, { created });
    const res = await rt.app.request('/api/webhooks/stripe', stripeRequest(evt));
    expect(res.status, `${type} ${JSON.stringify(await res.clone().text())}`).toBe(200);
    return evt;
  };
  const invoice = (who: string, n: number, type: 'invoice.paid' | 'invoice.payment_failed') =>
    stripe(type, 'invoice', { id: `in_${who}_${n}`, customer: `cus_${who}`, customer_email: `${who}@example.com`, amount_paid: type === 'invoice.paid' ? 4900 : 0, amount_due: 4900, currency: 'usd', subscription: null, parent: null });
  const refund = (who: string) => stripe('charge.refunded', 'charge', { id: `ch_${who}`, customer: `cus_${who}`, billing_details: { email: `${who}@example.com` }, receipt_email: null, amount: 4900, amount_refunded: 4900, refunded: true });
  const clerk = async (who: string) => {
    const now = Date.now();
    const payload = {
      type: 'user.created',
      object: 'event',
      timestamp: now,
      data: {
        id: `user_${who}`,
        object: 'user',
        first_name: who[0]!.toUpperCase() + who.slice(1),
        last_name: 'Example',
        primary_email_address_id: `idn_${who}`,
        email_addresses: [{ id: `idn_${who}`, object: 'email_address', email_address: `${who}@example.com` }],
        created_at: now,
        updated_at: now,
      },
    };
    const res = await rt.app.request('/api/webhooks/clerk', clerkRequest(payload, { id: `msg_${who}` }));
    expect(res.status).toBe(200);
  };
  const app = async (body: unknown) => {
    const res = await rt.app.request('/api/events', appEventRequest(body));
    expect(res.status, await res.clone().text()).toBe(200);
  };

  const start = new Date();
  await sleep(20);
  // ---- phase 1
  for (const who of ['alice', 'bob', 'carol']) await clerk(who);
  await invoice('alice', 1, 'invoice.paid');
  await invoice('dave', 1, 'invoice.paid');
  const bobFirst = await invoice('bob', 1, 'invoice.payment_failed');
  await stripe('customer.subscription.deleted', 'subscription', { id: 'sub_dave', customer: 'cus_dave', status: 'canceled' });
  const daveRefund = await refund('dave');
  await app({ id: 'esc-carol-1', type: 'support.escalation_requested', customer: { email: 'carol@example.com' }, data: { escalation_id: 'esc-carol', subject: 'Export broken', message: 'The export button does nothing', priority: 'high' } });
  const bot = await rt.app.request('/api/chatbot/actions', appEventRequest({ conversation_id: 'conv-frank', customer: { email: 'frank@example.com' }, action: 'escalate_to_support', message: 'I was charged twice and the invoice page errors', confidence: 0.95 }));
  expect(bot.status).toBe(200);
  expect(((await bot.json()) as { decision: string }).decision).toBe('executed');
  await settled(db, 60_000);
  expect(e.zendesk.tickets.size).toBe(2);

  await sleep(50);
  const mid = new Date();
  await sleep(50);
  // ---- phase 2
  const aliceRefund = await refund('alice');
  const bobSecond = await invoice('bob', 2, 'invoice.payment_failed');
  const carolTicket = [...e.zendesk.tickets.values()].find((t) => t.external_id === appEscalationId({ email: 'carol@example.com' }, 'esc-carol'))!;
  carolTicket.status = 'solved';
  const body = JSON.stringify(zendeskStatusChanged(carolTicket, 'open'));
  expect((await rt.app.request('/api/webhooks/zendesk', { method: 'POST', body, headers: signZendeskWebhook(body, ZENDESK_SECRET) })).status).toBe(200);
  await app({ id: 'erin-1', type: 'user.signed_up', customer: { email: 'erin@example.com', user_id: 'u_erin', name: 'Erin Example' } });
  await app({ id: 'erin-2', type: 'user.activated', customer: { user_id: 'u_erin' } });
  await settled(db, 60_000);

  const state = async (email: string) => (await db.query<{ lifecycle: string; support: string }>('SELECT lifecycle, support FROM customers WHERE email = $1 AND merged_into IS NULL', [email])).rows[0];
  // The history is what the test believes it is.
  expect(await state('alice@example.com')).toEqual({ lifecycle: 'paid', support: 'none' });
  expect(await state('bob@example.com')).toEqual({ lifecycle: 'past_due', support: 'none' });
  expect(await state('carol@example.com')).toEqual({ lifecycle: 'lead', support: 'none' });
  expect(await state('dave@example.com')).toEqual({ lifecycle: 'churned', support: 'none' });
  expect(await state('frank@example.com')).toEqual({ lifecycle: 'lead', support: 'needs_support' });
  return { mid, start, aliceRefund: aliceRefund.id, daveRefund: daveRefund.id, bobFirstFailure: bobFirst.id, bobSecondFailure: bobSecond.id };
}

/** Every row of every table in the live schema, as text: equal before and after = nothing was written. */
export async function snapshotPublic(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    const { rows } = await db.query<{ r: string }>(`SELECT t::text AS r FROM public.${name} t`);
    out[name] = rows.map((r) => r.r).sort();
  }
  return out;
}

/** Names of rehearsal scratch schemas that exist now (none may survive a rehearsal). */
export async function scratchSchemas(db: Queryable): Promise<string[]> {
  return (await db.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'rehearse%'`)).rows.map((r) => r.n);
}
