import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * `handoff demo`: a scripted customer journey sent over real HTTP, exactly as Stripe and the founder's app
 * would send it: signup → paid checkout → failed renewal → support escalation, then Stripe retrying the
 * failed-payment webhook (a duplicate that must change nothing). The Stripe payloads follow the shape of
 * Stripe's own event objects (API 2025-03-31.basil) and are signed with the official package.
 */

export interface DemoStep {
  title: string;
  path: string;
  status: number;
  body: unknown;
}

export interface DemoTarget {
  url: string;
  stripeSecret: string;
  apiKey: string;
}

const EMAIL = 'ada@demo.example';

function stripeEvent(id: string, type: string, created: number, object: Record<string, unknown>) {
  return {
    id,
    object: 'event',
    api_version: '2025-03-31.basil',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: `req_${id.slice(4)}`, idempotency_key: null },
    type,
    data: { object },
  };
}

/** The script. Ids are fresh per run, so a demo against a long-lived instance never collides with an old one. */
export function demoScript(now = new Date()) {
  const run = randomBytes(4).toString('hex');
  const t = Math.floor(now.getTime() / 1000);
  const customer = `cus_demo${run}`;
  const subscription = `sub_demo${run}`;
  const failed = stripeEvent(`evt_demo_failed_${run}`, 'invoice.payment_failed', t - 60, {
    id: `in_demo${run}`,
    object: 'invoice',
    customer,
    customer_email: EMAIL,
    customer_name: 'Ada Lovelace',
    amount_due: 4900,
    amount_paid: 0,
    attempt_count: 1,
    billing_reason: 'subscription_cycle',
    currency: 'usd',
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_demo/test_${run}`,
    next_payment_attempt: t + 3 * 86_400,
    parent: { type: 'subscription_details', subscription_details: { subscription, metadata: {} } },
    status: 'open',
  });
  return {
    email: EMAIL,
    steps: [
      {
        title: 'app: Ada signs up',
        kind: 'app' as const,
        body: { id: `demo_signup_${run}`, type: 'user.signed_up', customer: { email: EMAIL, user_id: `u_demo${run}`, name: 'Ada Lovelace' } },
      },
      {
        title: 'stripe: checkout paid (Pro, $49/month)',
        kind: 'stripe' as const,
        body: stripeEvent(`evt_demo_checkout_${run}`, 'checkout.session.completed', t - 120, {
          id: `cs_test_demo${run}`,
          object: 'checkout.session',
          mode: 'subscription',
          payment_status: 'paid',
          status: 'complete',
          customer,
          customer_details: { email: EMAIL, name: 'Ada Lovelace' },
          client_reference_id: `u_demo${run}`,
          subscription,
          amount_total: 4900,
          currency: 'usd',
        }),
      },
      { title: 'stripe: renewal payment failed', kind: 'stripe' as const, body: failed },
      {
        title: 'app: Ada asks for help',
        kind: 'app' as const,
        body: {
          id: `demo_escalation_${run}`,
          type: 'support.escalation_requested',
          customer: { email: EMAIL },
          data: { escalation_id: `esc_demo${run}`, subject: 'My card was declined but I still see a charge', message: 'Hi, my renewal failed but my bank shows a pending charge. Can you check?', priority: 'high' },
        },
      },
      { title: 'stripe: the same failed-payment webhook, retried by Stripe', kind: 'stripe' as const, body: failed },
    ],
  };
}

/** Sends the script in order; each answer is returned, never thrown (a refusal is part of the story). */
export async function sendDemo(
  target: DemoTarget,
  script = demoScript(),
  onStep?: (s: DemoStep) => void,
  /** Awaited between steps: a real customer's events are days apart, so each step's effects run before the next. */
  between?: () => Promise<void>,
): Promise<DemoStep[]> {
  const out: DemoStep[] = [];
  for (const [i, step] of script.steps.entries()) {
    if (i > 0) await between?.();
    const payload = JSON.stringify(step.body);
    const path = step.kind === 'stripe' ? '/api/webhooks/stripe' : '/api/events';
    const headers: Record<string, string> =
      step.kind === 'stripe'
        ? { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: target.stripeSecret }) }
        : { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` };
    const res = await fetch(`${target.url}${path}`, { method: 'POST', headers, body: payload });
    const body = (await res.json().catch(() => null)) as unknown;
    const s = { title: step.title, path, status: res.status, body };
    out.push(s);
    onStep?.(s);
  }
  return out;
}
