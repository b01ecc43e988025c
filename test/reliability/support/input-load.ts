/**
 * The load scenarios' shared parts: all five provider emulators with Handoff's env for them, a mix of
 * events that together reach every connector, a sender with bounded concurrency, and the provider-side
 * effect counts (records and side-effecting requests, never attempts).
 */
import { randomUUID } from 'node:crypto';
import {
  startHubspotEmulator,
  startResendEmulator,
  startSlackEmulator,
  startWebhookReceiver,
  startZendeskEmulator,
  type HubspotEmulator,
  type ResendEmulator,
  type SlackEmulator,
  type WebhookReceiver,
  type ZendeskEmulator,
} from '../../emulators/index.js';
import { appEventRequest, stripeRequest } from '../../support/app.js';
import { stripeEvent } from '../../support/stripe-fixtures.js';

export const CONNECTORS = ['hubspot', 'slack', 'zendesk', 'email', 'webhook'] as const;
export type Connector = (typeof CONNECTORS)[number];

export interface Providers {
  hubspot: HubspotEmulator;
  slack: SlackEmulator;
  zendesk: ZendeskEmulator;
  resend: ResendEmulator;
  receiver: WebhookReceiver;
  /** Handoff's variables for these emulators, with pacing out of the way (pacing has its own tests). */
  env: Record<string, string>;
  all(): Array<[Connector, { faults: HubspotEmulator['faults'] }]>;
  close(): Promise<void>;
}

export async function startProviders(): Promise<Providers> {
  const unlimited = { max: 1_000_000, intervalMs: 1_000 };
  const hubspot = await startHubspotEmulator({ rateLimit: unlimited });
  const slack = await startSlackEmulator();
  const zendesk = await startZendeskEmulator({ rateLimit: unlimited });
  const resend = await startResendEmulator();
  const receiver = await startWebhookReceiver();
  return {
    hubspot,
    slack,
    zendesk,
    resend,
    receiver,
    env: {
      HUBSPOT_ACCESS_TOKEN: hubspot.token,
      HUBSPOT_BASE_URL: hubspot.url,
      SLACK_WEBHOOK_URL: slack.url,
      ZENDESK_BASE_URL: zendesk.url,
      ZENDESK_EMAIL: zendesk.email,
      ZENDESK_API_TOKEN: zendesk.apiToken,
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Handoff <handoff@example.com>',
      OUTBOUND_WEBHOOK_URL: receiver.url,
      OUTBOUND_WEBHOOK_SECRET: receiver.secret,
      HUBSPOT_RATE_LIMIT: '100000/1s',
      SLACK_RATE_LIMIT: '100000/1s',
      RESEND_RATE_LIMIT: '100000/1s',
      ZENDESK_RATE_LIMIT: '100000/1s',
      OUTBOUND_WEBHOOK_RATE_LIMIT: '100000/1s',
    },
    all: () => [
      ['hubspot', hubspot],
      ['slack', slack],
      ['zendesk', zendesk],
      ['email', resend],
      ['webhook', receiver],
    ],
    close: async () => {
      await Promise.all([hubspot.close(), slack.close(), zendesk.close(), resend.close(), receiver.close()]);
    },
  };
}

/** One sendable event: where it goes, its body and headers, and the effects it must cause. */
export interface LoadEvent {
  source: 'stripe' | 'app';
  eventId: string;
  email: string;
  path: string;
  init: () => RequestInit;
  effects: readonly Connector[];
}

/**
 * `n` distinct events for `n` distinct customers, alternating:
 * - a Stripe `invoice.payment_failed` (Stripe's sample invoice) → CRM sync, Slack alert, dunning email,
 *   outbound webhook (new → past_due);
 * - an app `support.escalation_requested` → CRM sync, Zendesk ticket, confirmation email (after the
 *   ticket), outbound webhook (support none → needs_support).
 * No single event in the state table reaches all five connectors; together they reach each one.
 */
export function eventMix(n: number, tag: string): LoadEvent[] {
  return Array.from({ length: n }, (_, i): LoadEvent => {
    const email = `${tag}-${i}@example.com`;
    if (i % 2 === 0) {
      const evt = stripeEvent('invoice.payment_failed', 'invoice', {
        id: `in_${tag}_${i}`,
        customer: `cus_${tag}_${i}`,
        customer_email: email,
        amount_due: 2900,
        subscription: null,
        parent: null,
      });
      evt.id = `evt_${tag}_${i}`;
      const body = JSON.stringify(evt);
      return {
        source: 'stripe',
        eventId: evt.id,
        email,
        path: '/api/webhooks/stripe',
        // Signed at each send, as Stripe signs each delivery attempt.
        init: () => stripeRequest(JSON.parse(body)),
        effects: ['hubspot', 'slack', 'email', 'webhook'],
      };
    }
    const eventId = `app-${tag}-${i}`;
    const body = {
      id: eventId,
      type: 'support.escalation_requested',
      customer: { email, name: `Customer ${i}` },
      data: { escalation_id: `esc-${tag}-${i}`, subject: 'I cannot log in', message: `Help please (${i})`, priority: 'high' },
    };
    return { source: 'app', eventId, email, path: '/api/events', init: () => appEventRequest(body), effects: ['hubspot', 'zendesk', 'email', 'webhook'] };
  });
}

/** Effects each connector must show for these events. */
export function expectedEffects(events: readonly LoadEvent[]): Record<Connector, number> {
  const out = Object.fromEntries(CONNECTORS.map((c) => [c, 0])) as Record<Connector, number>;
  for (const e of events) for (const c of e.effects) out[c] += 1;
  return out;
}

/**
 * What the providers hold, counted as records and side-effecting requests that succeeded (faulted
 * attempts had no effect): contacts, Slack messages, tickets, emails, webhook messages by id.
 */
export function providerEffects(p: Providers) {
  const creates = p.hubspot.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/crm/v3/objects/contacts') && !r.path.includes('search') && !r.fault);
  return {
    counts: {
      hubspot: p.hubspot.contacts.size,
      slack: p.slack.messages.length,
      zendesk: p.zendesk.tickets.size,
      email: p.resend.emails.length,
      webhook: p.receiver.unique().length,
    } satisfies Record<Connector, number>,
    /** Values that name one provider record each; any repeat is a record created twice. */
    keys: {
      hubspotCreates: creates.map((r) => String((r.body as { properties?: { email?: string } })?.properties?.email ?? '').toLowerCase()),
      zendeskExternalIds: [...p.zendesk.tickets.values()].map((t) => String(t.external_id)),
      emails: p.resend.emails.map((e) => `${e.to.join(',')}|${e.subject}`),
      slackTexts: p.slack.messages.map((m) => m.text ?? JSON.stringify(m.blocks)),
    },
    /** Webhook messages delivered more than once under one webhook-id (receivers drop these by id). */
    webhookRepeats: p.receiver.delivered.length - p.receiver.unique().length,
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/** A deterministic shuffle (mulberry32), so a seed reproduces the delivery order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const runTag = () => randomUUID().slice(0, 8);
