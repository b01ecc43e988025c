import type { CustomerSnapshot } from '../types.js';

/**
 * Slack message templates: job payload facts + the customer's current snapshot → {text, blocks}.
 * Pure; no I/O.
 *
 * Facts each template reads (all optional; a missing fact drops its part of the sentence):
 *   new_paying_customer  plan, amount, currency
 *   payment_failed       amount, currency, next_retry (ISO date or unix seconds; explicit null = no further retries)
 *   churned              plan, reason
 *   refund               amount, currency, full (boolean; Stripe's `refunded`)
 * `amount` is in the currency's minor units (Stripe convention: 4900 USD → "49.00 USD"); a string
 * amount is shown as given. Aliases accepted for Stripe field names: amount_due / amount_paid /
 * amount_refunded, next_payment_attempt, refunded.
 *
 * Invariant: every value that came from outside (email, name, plan, reason, …) is escaped for
 * Slack mrkdwn (&, <, >) and truncated, so a customer named "<!channel>" cannot ping a channel
 * or forge a link. Both `text` (the notification fallback) and blocks are mrkdwn in Slack.
 */
export const TEMPLATES = ['new_paying_customer', 'payment_failed', 'churned', 'refund'] as const;
export type TemplateName = (typeof TEMPLATES)[number];
export type Facts = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const VALUE_MAX = 200;

/** Escape Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An outside value made safe for mrkdwn: stringified, whitespace-collapsed, truncated, escaped. */
function safe(value: unknown): string {
  const s = String(value).replace(/\s+/g, ' ').trim();
  return escapeMrkdwn(s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX)}…` : s);
}

function fact(facts: Facts, ...names: string[]): unknown {
  for (const n of names) if (facts[n] !== undefined) return facts[n];
  return undefined;
}

/** "49.00 USD"; zero-decimal currencies (JPY) via Intl; an unknown currency code shows the raw amount. */
export function formatAmount(amount: unknown, currency: unknown): string | undefined {
  if (amount === undefined || amount === null || amount === '') return undefined;
  const code = typeof currency === 'string' && currency.trim() ? currency.trim().toUpperCase() : '';
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return safe(code ? `${String(amount)} ${code}` : amount);
  if (!code) return String(amount);
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return safe(`${amount} ${code}`);
  }
  return safe(`${(amount / 10 ** digits).toFixed(digits)} ${code}`);
}

/** ISO date or unix seconds/ms → "2026-11-30 14:00 UTC"; anything else is shown escaped as given. */
export function formatDate(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? (value < 1e12 ? value * 1000 : value) : Date.parse(String(value));
  if (!Number.isFinite(ms)) return safe(value);
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** Who the message is about: email, else name, else our customer id. */
function who(c: CustomerSnapshot): string {
  return safe(c.email ?? c.name ?? `customer ${c.id}`);
}

function sentence(template: TemplateName, c: CustomerSnapshot, facts: Facts): string {
  const plan = fact(facts, 'plan');
  const planPart = plan != null && plan !== '' ? ` (plan ${safe(plan)})` : '';
  const amount = formatAmount(fact(facts, 'amount', 'amount_due', 'amount_paid', 'amount_refunded'), fact(facts, 'currency'));
  switch (template) {
    case 'new_paying_customer':
      return `New paying customer: ${who(c)}${planPart}${amount ? `, ${amount}` : ''}`;
    case 'payment_failed': {
      const next = fact(facts, 'next_retry', 'next_payment_attempt');
      const retry = next === null ? ', no further retries' : next !== undefined ? `, next retry ${formatDate(next)}` : '';
      return `Payment failed for ${who(c)}${amount ? `: ${amount}` : ''}${retry}`;
    }
    case 'churned': {
      const reason = fact(facts, 'reason');
      return `Customer churned: ${who(c)}${planPart}${reason != null && reason !== '' ? ` — ${safe(reason)}` : ''}`;
    }
    case 'refund': {
      const full = fact(facts, 'full', 'refunded');
      const scope = full === true ? ' (full)' : full === false ? ' (partial)' : '';
      return `Refund for ${who(c)}${amount ? `: ${amount}` : ''}${scope}`;
    }
  }
}

export function renderMessage(template: TemplateName, customer: CustomerSnapshot, facts: Facts): SlackMessage {
  const text = sentence(template, customer, facts);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Handoff · customer ${safe(customer.id)} · ${safe(customer.lifecycle)}` }],
      },
    ],
  };
}
