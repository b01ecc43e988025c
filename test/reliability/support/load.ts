import {
  OUTBOUND_TEST_SECRET,
  RESEND_TEST_KEY,
  startHubspotEmulator,
  startResendEmulator,
  startSlackEmulator,
  startWebhookReceiver,
  startZendeskEmulator,
} from '../../emulators/index.js';
import { ADMIN_TOKEN, API_KEY, CLERK_SECRET, STRIPE_SECRET, appEventRequest, clerkRequest, stripeRequest } from '../../support/app.js';
import { clerkUserCreated } from '../../support/clerk.js';
import { spawnHandoff, type HandoffProcess } from '../../support/process.js';
import { DEFAULT_CREATED, stripeEvent } from '../../support/stripe-fixtures.js';
import type { Providers } from './ledger.js';

/**
 * The mixed load of the crash and database-fault suites: real Stripe fixture events, Clerk signups and app
 * events spread over a set of customers, so HubSpot, Slack, Zendesk, email and outbound webhooks all get jobs.
 * Everything is derived from a seed: the same seed gives the same events in the same order.
 */

/** mulberry32: a small seeded PRNG, [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Delivery {
  key: { source: string; eventId: string };
  type: string;
  path: string;
  /** Signed afresh on every attempt, as the senders do (a re-send carries a new timestamp). */
  init(): RequestInit;
}

const KINDS = [
  'clerk.user.created',
  'stripe.invoice.payment_failed',
  'stripe.invoice.paid',
  'stripe.customer.subscription.deleted',
  'stripe.charge.refunded',
  'stripe.customer.subscription.trial_will_end',
  'app.support.escalation_requested',
  'app.trial.started',
] as const;

/** `n` deliveries over n/4 customers, kinds drawn uniformly (so every connector gets work). */
export function mixedLoad(n: number, seed: number): Delivery[] {
  const rng = prng(seed);
  const customers = Math.max(1, Math.floor(n / 4));
  const out: Delivery[] = [];
  for (let j = 0; j < n; j++) {
    const c = Math.floor(rng() * customers);
    const kind = KINDS[Math.floor(rng() * KINDS.length)]!;
    const email = `rel${seed}-${c}@example.com`;
    const cus = `cus_rel${seed}_${c}`;
    const id = `rel${seed}_${j}`;
    // Later events of one Stripe object win its watermark; `created` follows the load's order.
    const env = { id: `evt_${id}`, created: DEFAULT_CREATED + j };
    const stripe = (type: string, e: ReturnType<typeof stripeEvent>): Delivery => ({
      key: { source: 'stripe', eventId: e.id },
      type,
      path: '/api/webhooks/stripe',
      init: () => stripeRequest(e),
    });
    const invoice = { id: `in_${id}`, customer: cus, customer_email: email, subscription: null, parent: null };
    switch (kind) {
      case 'clerk.user.created': {
        const payload = clerkUserCreated({ userId: `user_rel${seed}_${c}`, primary: email, other: `old-${email}`, first: 'Rel', last: String(c) });
        const msg = `msg_${id}`;
        out.push({ key: { source: 'clerk', eventId: msg }, type: kind, path: '/api/webhooks/clerk', init: () => clerkRequest(payload, { id: msg }) });
        break;
      }
      case 'stripe.invoice.payment_failed':
        out.push(stripe(kind, stripeEvent('invoice.payment_failed', 'invoice', { ...invoice, amount_due: 2900, attempt_count: 1 }, env)));
        break;
      case 'stripe.invoice.paid':
        out.push(stripe(kind, stripeEvent('invoice.paid', 'invoice', { ...invoice, amount_paid: 2900 }, env)));
        break;
      case 'stripe.customer.subscription.deleted':
        out.push(stripe(kind, stripeEvent('customer.subscription.deleted', 'subscription', { id: `sub_rel${seed}_${c}`, customer: cus, status: 'canceled' }, env)));
        break;
      case 'stripe.charge.refunded':
        out.push(
          stripe(kind, stripeEvent('charge.refunded', 'charge', { id: `ch_${id}`, customer: cus, refunded: true, amount_refunded: 2900, billing_details: { email } }, env)),
        );
        break;
      case 'stripe.customer.subscription.trial_will_end':
        out.push(stripe(kind, stripeEvent('customer.subscription.trial_will_end', 'subscription', { id: `sub_rel${seed}_${c}`, customer: cus, status: 'trialing' }, env)));
        break;
      case 'app.support.escalation_requested': {
        // Two escalation ids per customer: a second request in one escalation must not open a second ticket.
        const body = {
          id,
          type: 'support.escalation_requested',
          customer: { email, name: `Rel ${c}` },
          data: { escalation_id: `esc_rel${seed}_${c}_${Math.floor(rng() * 2)}`, subject: 'Cannot export', message: 'The export button does nothing.', plan: 'pro', mrr: 49 },
        };
        out.push({ key: { source: 'app', eventId: id }, type: kind, path: '/api/events', init: () => appEventRequest(body) });
        break;
      }
      case 'app.trial.started': {
        const body = { id, type: 'trial.started', customer: { email } };
        out.push({ key: { source: 'app', eventId: id }, type: kind, path: '/api/events', init: () => appEventRequest(body) });
        break;
      }
    }
  }
  return out;
}

/**
 * Sends deliveries the way the real senders do: whatever was not answered 2xx (refused, reset, 5xx) is sent
 * again later; a 2xx is final. A 4xx is a bug in Handoff (these requests are all valid) and is kept in
 * `rejected` for the scenario to assert on. `resendAcked` re-sends some acknowledged ones (duplicates).
 */
export class Sender {
  readonly acked = new Set<number>();
  readonly rejected: Array<{ i: number; status: number; body: string }> = [];
  serverErrors = 0;
  /** Requests that got no answer within 20 s (a hung request inside Handoff). */
  timeouts = 0;
  private queue: number[];

  constructor(
    readonly deliveries: Delivery[],
    private readonly concurrency = 8,
  ) {
    this.queue = deliveries.map((_, i) => i);
  }

  get remaining(): number {
    return this.queue.length;
  }

  /** Acknowledged deliveries, for readLedger. */
  ackedKeys() {
    return [...this.acked].map((i) => this.deliveries[i]!.key);
  }

  /** Queues `indices` again (duplicates of acknowledged events: Stripe re-sends those too). */
  resend(indices: number[]): void {
    this.queue.push(...indices);
  }

  /** Sends until the queue is empty or `go()` turns false (the process died); `onAck` runs after each 2xx. */
  async run(url: string, go: () => boolean, onAck?: () => void): Promise<void> {
    await Promise.all(
      Array.from({ length: this.concurrency }, async () => {
        while (go() && this.queue.length > 0) {
          const i = this.queue.shift()!;
          const d = this.deliveries[i]!;
          let status = 0;
          try {
            // Senders give up on a slow answer (Stripe after 20 s) and retry later: a hung request is not an ack.
            const res = await fetch(`${url}${d.path}`, { ...d.init(), signal: AbortSignal.timeout(20_000) });
            status = res.status;
            if (status >= 400 && status < 500) this.rejected.push({ i, status, body: (await res.text()).slice(0, 300) });
            else await res.arrayBuffer();
          } catch (err) {
            // refused / reset: not acknowledged
            if ((err as Error).name === 'TimeoutError') this.timeouts++;
          }
          if (status >= 200 && status < 300) {
            this.acked.add(i);
            onAck?.();
          } else if (status < 400 || status >= 500) {
            if (status >= 500) this.serverErrors++;
            this.queue.push(i);
            if (status === 0) await new Promise((r) => setTimeout(r, 20)); // the process is going away
          }
        }
      }),
    );
  }
}

export interface ProviderSet extends Required<Providers> {
  close(): Promise<void>;
}

/** Every provider emulator, with rate limits out of the way (pacing has its own tests). */
export async function startProviders(): Promise<ProviderSet> {
  const [hubspot, zendesk, resend, webhooks, slack] = await Promise.all([
    startHubspotEmulator({ rateLimit: { max: 1_000_000, intervalMs: 10_000 } }),
    startZendeskEmulator({ rateLimit: { max: 1_000_000, intervalMs: 60_000 } }),
    startResendEmulator(),
    startWebhookReceiver({ secret: OUTBOUND_TEST_SECRET }),
    startSlackEmulator(),
  ]);
  return {
    hubspot,
    zendesk,
    resend,
    webhooks,
    slack,
    close: async () => {
      await Promise.all([hubspot.close(), zendesk.close(), resend.close(), webhooks.close(), slack.close()]);
    },
  };
}

/** The environment of a Handoff child process with every connector pointed at the emulators. */
export function handoffEnv(p: ProviderSet, db: { url?: string; dataDir?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(db.url ? { DATABASE_URL: db.url } : { HANDOFF_DATA_DIR: db.dataDir! }),
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    CLERK_WEBHOOK_SECRET: CLERK_SECRET,
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    HUBSPOT_ACCESS_TOKEN: p.hubspot.token,
    HUBSPOT_BASE_URL: p.hubspot.url,
    ZENDESK_BASE_URL: p.zendesk.url,
    ZENDESK_EMAIL: p.zendesk.email,
    ZENDESK_API_TOKEN: p.zendesk.apiToken,
    RESEND_API_KEY: RESEND_TEST_KEY,
    RESEND_BASE_URL: p.resend.url,
    EMAIL_FROM: 'Handoff Test <no-reply@handoff.test>',
    OUTBOUND_WEBHOOK_URL: p.webhooks.url,
    OUTBOUND_WEBHOOK_SECRET: p.webhooks.secret,
    SLACK_WEBHOOK_URL: p.slack.url,
    // Pacing is exercised elsewhere; at the providers' real limits this load would take an hour.
    HUBSPOT_RATE_LIMIT: '100000/1s',
    SLACK_RATE_LIMIT: '100000/1s',
    RESEND_RATE_LIMIT: '100000/1s',
    ZENDESK_RATE_LIMIT: '100000/1s',
    OUTBOUND_WEBHOOK_RATE_LIMIT: '100000/1s',
    // Short leases: a job held by a killed process runs again within seconds.
    JOB_LEASE_MS: '1500',
    HTTP_TIMEOUT_MS: '1000',
    DISPATCH_POLL_MS: '100',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '1000',
    ...extra,
  };
}

/** Starts `handoff start` and waits for its address. The process joins `procs` at once (cleanup kills it even mid-start). */
export async function startHandoff(env: Record<string, string>, procs: HandoffProcess[]): Promise<{ p: HandoffProcess; url: string }> {
  const p = spawnHandoff(['start'], env);
  procs.push(p);
  const [, url] = await p.waitFor(/listening on\s+(http:\/\/\S+)/, 90_000);
  return { p, url: url!.replace('://localhost:', '://127.0.0.1:') };
}

/** Jobs not yet finished (pending + running), read from the process's own /metrics (the only door to a PGlite it owns). */
export async function openJobs(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/metrics`);
    if (!res.ok) return undefined;
    const text = await res.text();
    let n = 0;
    let seen = false;
    for (const m of text.matchAll(/^handoff_jobs\{([^}]*)\} (\S+)$/gm)) {
      seen = true;
      if (/status="(pending|running)"/.test(m[1]!)) n += Number(m[2]);
    }
    return seen ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until the process reports no open job (polled gently: each scrape queries the database). */
export async function drained(url: string, ms = 300_000, diagnose?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + ms;
  let last: number | undefined;
  while ((last = await openJobs(url)) !== 0) {
    if (Date.now() > deadline) throw new Error(`jobs still open after ${ms} ms (last: ${last}) ${JSON.stringify(await diagnose?.().catch(String))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const alive = (p: HandoffProcess) => p.proc.exitCode === null && p.proc.signalCode === null;
