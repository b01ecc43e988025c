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
 *   alert_opened         title, summary, action, rule, incident_id, opened_at   (no customer: src/monitor/alerts)
 *   alert_resolved       title, open_for, rule, incident_id, resolved_at
 * `amount` is in the currency's minor units (Stripe convention: 4900 USD → "49.00 USD"); a string
 * amount is shown as given. Aliases accepted for Stripe field names: amount_due / amount_paid /
 * amount_refunded, next_payment_attempt, refunded.
 *
 * Invariant: every value that came from outside (email, name, plan, reason, …) is escaped for
 * Slack mrkdwn (&, <, >) and truncated, so a customer named "<!channel>" cannot ping a channel
 * or forge a link. Both `text` (the notification fallback) and blocks are mrkdwn in Slack.
 */
export const TEMPLATES = ['new_paying_customer', 'payment_failed', 'churned', 'refund', 'alert_opened', 'alert_resolved'] as const;
export type TemplateName = (typeof TEMPLATES)[number];
type AlertTemplate = 'alert_opened' | 'alert_resolved';
/** Alert texts (summary, what to do) are longer than customer facts. */
const ALERT_MAX = 1000;
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
function safe(value: unknown, max = VALUE_MAX): string {
  const s = String(value).replace(/\s+/g, ' ').trim();
  return escapeMrkdwn(s.length > max ? `${s.slice(0, max)}…` : s);
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
  const digits = minorDigits(code);
  if (digits === undefined) return safe(`${amount} ${code}`);
  return safe(`${(amount / 10 ** digits).toFixed(digits)} ${code}`);
}

/** Minor-unit digits per currency code (JPY 0, USD 2, …); undefined for a code Intl does not know. Cached:
 * building an Intl.NumberFormat costs more than the rest of a message. */
const DIGITS = new Map<string, number | undefined>();
function minorDigits(code: string): number | undefined {
  if (DIGITS.has(code)) return DIGITS.get(code);
  let digits: number | undefined;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    digits = undefined;
  }
  if (DIGITS.size < 512) DIGITS.set(code, digits);
  return digits;
}

/** ISO date or unix seconds/ms → "2026-11-30 14:00 UTC"; anything else is shown escaped as given. */
export function formatDate(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? (value < 1e12 ? value * 1000 : value) : Date.parse(String(value));
  if (!Number.isFinite(ms)) return safe(value);
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** Who the message is about: email, else name, else our customer id. */
function who(c: CustomerSnapshot | null): string {
  return c ? safe(c.email ?? c.name ?? `customer ${c.id}`) : 'an unknown customer';
}

function sentence(template: Exclude<TemplateName, AlertTemplate>, c: CustomerSnapshot | null, facts: Facts): string {
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

export function renderMessage(template: TemplateName, customer: CustomerSnapshot | null, facts: Facts): SlackMessage {
  if (template === 'alert_opened' || template === 'alert_resolved') return renderAlert(template, facts);
  const text = sentence(template, customer, facts);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: customer ? `Handoff · customer ${safe(customer.id)} · ${safe(customer.lifecycle)}` : 'Handoff' }],
      },
    ],
  };
}

/** One message when an incident opens (what is wrong, what to do), one when it resolves (how long it lasted). */
function renderAlert(template: AlertTemplate, facts: Facts): SlackMessage {
  const title = safe(fact(facts, 'title') ?? fact(facts, 'rule') ?? 'alert');
  const ref = `Handoff alert · ${safe(fact(facts, 'rule') ?? 'unknown rule')}${fact(facts, 'incident_id') != null ? ` · incident ${safe(fact(facts, 'incident_id'))}` : ''}`;
  if (template === 'alert_resolved') {
    const openFor = fact(facts, 'open_for');
    const text = `:white_check_mark: Resolved: ${title}${openFor != null ? ` (open for ${safe(openFor)})` : ''}`;
    const at = formatDate(fact(facts, 'resolved_at'));
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, { type: 'context', elements: [{ type: 'mrkdwn', text: `${ref}${at ? ` · resolved ${at}` : ''}` }] }] };
  }
  const summary = fact(facts, 'summary');
  const action = fact(facts, 'action');
  const text = `:rotating_light: ${title}${summary != null && summary !== '' ? `: ${safe(summary, ALERT_MAX)}` : ''}`;
  const at = formatDate(fact(facts, 'opened_at'));
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(action != null && action !== '' ? [{ type: 'section', text: { type: 'mrkdwn', text: `*What to do:* ${safe(action, ALERT_MAX)}` } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${ref}${at ? ` · opened ${at}` : ''}` }] },
    ],
  };
}
