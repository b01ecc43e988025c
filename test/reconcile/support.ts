import { expect } from 'vitest';
import type { Database } from '../../src/db/index.js';
import {
  HUBSPOT_TEST_TOKEN,
  STRIPE_TEST_KEY,
  ZENDESK_TEST_EMAIL,
  ZENDESK_TEST_TOKEN,
  startHubspotEmulator,
  startStripeEmulator,
  startZendeskEmulator,
  type HubspotEmulator,
  type StripeEmulator,
  type ZendeskEmulator,
} from '../emulators/index.js';
import { stripeCustomer, stripeSubscription } from '../stripe-api/objects.js';
import { adminHeaders, appEventRequest, stripeRequest, type TestApp } from '../support/app.js';
import { stripeEvent } from '../support/stripe-fixtures.js';
import { settled } from '../support/wait.js';
import { appEscalationId } from '../../src/events/index.js';

export const T0 = 1_767_225_600; // 2026-01-01: every webhook in these tests is from then
export const DAY = 86_400;

export interface Providers {
  stripe: StripeEmulator;
  hub: HubspotEmulator;
  zd: ZendeskEmulator;
  close(): Promise<void>;
}

export async function startProviders(): Promise<Providers> {
  const [stripe, hub, zd] = await Promise.all([startStripeEmulator(), startHubspotEmulator(), startZendeskEmulator()]);
  return { stripe, hub, zd, close: async () => void (await Promise.all([stripe.close(), hub.close(), zd.close()])) };
}

/** Every provider configured against its emulator; the schedule and alerting off unless a test turns them on. */
export function providerEnv(p: Providers, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
    STRIPE_API_BASE_URL: p.stripe.url,
    HUBSPOT_ACCESS_TOKEN: HUBSPOT_TEST_TOKEN,
    HUBSPOT_BASE_URL: p.hub.url,
    ZENDESK_BASE_URL: p.zd.url,
    ZENDESK_EMAIL: ZENDESK_TEST_EMAIL,
    ZENDESK_API_TOKEN: ZENDESK_TEST_TOKEN,
    HUBSPOT_RATE_LIMIT: '1000/1s',
    ZENDESK_RATE_LIMIT: '1000/1s',
    RECONCILE_INTERVAL_MS: '0',
    ALERT_EVAL_INTERVAL_MS: '0',
    ...extra,
  };
}

/**
 * A paying customer as webhooks made it: Stripe (the emulator) has the customer and an active
 * subscription; Handoff got the paid checkout and subscription.created (created T0); the worker pushed
 * the contact to HubSpot. Returns the ids.
 */
export async function paidCustomer(rt: TestApp, p: Providers, n: string) {
  const email = `${n}@example.com`;
  const cus = `cus_${n}`;
  const sub = `sub_${n}`;
  p.stripe.upsertCustomer(stripeCustomer({ id: cus, email, name: `Ada ${n}`, created: T0 }));
  const subscription = p.stripe.upsertSubscription(stripeSubscription({ id: sub, customer: cus, status: 'active', created: T0 }));
  const checkout = stripeEvent(
    'checkout.session.completed',
    'checkout.session',
    { customer: cus, subscription: sub, mode: 'subscription', payment_status: 'paid', customer_email: email, customer_details: { email, name: `Ada ${n}` } },
    { created: T0 },
  );
  const created = stripeEvent('customer.subscription.created', 'subscription', structuredClone(subscription), { created: T0 });
  for (const evt of [checkout, created]) expect((await rt.app.request('/api/webhooks/stripe', stripeRequest(evt))).status).toBe(200);
  await settled(rt.db);
  expect(p.hub.contacts.get(email)?.properties.handoff_lifecycle).toBe('paid');
  return { email, cus, sub };
}

/** The customer asks for help (app event): a Zendesk ticket is opened by the worker. Returns its id. */
export async function escalate(rt: TestApp, p: Providers, email: string, escalationId: string): Promise<number> {
  const body = { id: `esc-evt-${escalationId}`, type: 'support.escalation_requested', customer: { email }, data: { escalation_id: escalationId, subject: 'Export broken', message: 'The export fails' } };
  expect((await rt.app.request('/api/events', appEventRequest(body))).status).toBe(200);
  await settled(rt.db);
  const [ticket] = p.zd.ticketsByExternalId(appEscalationId({ email }, escalationId));
  expect(ticket).toBeDefined();
  return ticket!.id;
}

export async function customerRow(db: Database, email: string) {
  return (await db.query<{ id: string; lifecycle: string; support: string }>('SELECT id, lifecycle, support FROM customers WHERE email = $1 AND merged_into IS NULL', [email])).rows[0]!;
}

export async function reconcileNotes(db: Database, customerId: string) {
  return (await db.query<{ detail: { message: string } }>("SELECT detail FROM timeline WHERE customer_id = $1 AND kind = 'reconcile' ORDER BY id", [customerId])).rows.map((r) => r.detail.message);
}

export async function counts(db: Database) {
  const q = async (t: string) => Number((await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${t}`)).rows[0]!.n);
  return { inbox: await q('inbox_events'), jobs: await q('jobs'), timeline: await q('timeline') };
}

/** POST /api/drift/run or /fix through the app; returns the report. */
export async function driftRun(rt: TestApp, fix = false, body: Record<string, unknown> = {}) {
  const res = await rt.app.request(`/api/drift/${fix ? 'fix' : 'run'}`, { method: 'POST', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { report: DriftReportJson }).report;
}

export interface DriftEntryJson {
  customerId: string;
  email: string | null;
  provider: string;
  field: string;
  handoffValue: string | null;
  providerValue: string | null;
  handoffSince: string | null;
  providerSince: string | null;
  cause: string;
  explanation: string;
  fix: { fixed: boolean; action: string } | null;
}
export interface DriftReportJson {
  id: string;
  trigger: string;
  fix: boolean;
  runBy: string;
  startedAt: string;
  finishedAt: string;
  customersChecked: number;
  driftCount: number;
  fixedCount: number;
  partial: boolean;
  providers: Record<string, boolean>;
  errors: Array<{ provider: string; message: string }>;
  entries: DriftEntryJson[];
}
