import type { CustomerSnapshot } from '../types.js';

/**
 * The values an email template can use: job facts + the customer's CURRENT snapshot → flat strings.
 * Pure; no I/O. Mustache is logic-less, so every value is formatted here, once, for all templates.
 *
 * Invariants:
 * - Every value is a single line (whitespace collapsed), at most VALUE_MAX characters, or absent.
 *   Absent values make `{{#name}}…{{/name}}` sections disappear; templates use that for optional parts.
 * - Nothing here escapes HTML: the renderer does (`{{name}}` in the .html part), so the text part and the
 *   subject are not polluted with entities.
 * - `invoice_url` is present only for an absolute https URL: a link we put in an email never has
 *   another scheme (javascript:, data:), whatever arrived in the facts.
 * - Dates are plain English in UTC ("Tuesday, 3 March 2026"): a customer-facing day, not an instant.
 *
 * Facts read (Stripe names, see src/events/stripe.ts; all optional):
 *   amount_due | amount, currency        → amount ("$49.00", "¥1,500", "CA$12.50")
 *   next_payment_attempt (ISO | unix s)  → retry_date; explicit null → no_retry (Stripe will not retry)
 *   hosted_invoice_url                   → invoice_url
 *   attempt_count                        → attempt_count
 *   trial_end (ISO | unix s)             → trial_end_date
 *   ticket_id, subject, escalation_id    → same names (support confirmation; app_escalation_id, the app's own id,
 *                                          is shown as escalation_id when present)
 */
export type EmailFacts = Record<string, unknown>;

export interface EmailView {
  /** First word of the customer's name, else "there" ("Hi there,"). */
  greeting_name: string;
  name?: string;
  email?: string;
  /** The display name of EMAIL_FROM ("Acme" from "Acme <billing@acme.com>"), if it has one. */
  sender?: string;
  amount?: string;
  retry_date?: string;
  no_retry?: boolean;
  invoice_url?: string;
  attempt_count?: string;
  trial_end_date?: string;
  ticket_id?: string;
  subject?: string;
  escalation_id?: string;
  /** Alert emails (to the founder): what opened or resolved, and what to do. */
  title?: string;
  summary?: string;
  action?: string;
  rule?: string;
  incident_id?: string;
  opened_at?: string;
  resolved_at?: string;
  open_for?: string;
}

export const VIEW_KEYS = [
  'greeting_name',
  'name',
  'email',
  'sender',
  'amount',
  'retry_date',
  'no_retry',
  'invoice_url',
  'attempt_count',
  'trial_end_date',
  'ticket_id',
  'subject',
  'escalation_id',
  'title',
  'summary',
  'action',
  'rule',
  'incident_id',
  'opened_at',
  'resolved_at',
  'open_for',
] as const satisfies ReadonlyArray<keyof EmailView>;

const VALUE_MAX = 200;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A display-safe single line, or undefined for empty / non-primitive values. */
function line(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).replace(/\s+/g, ' ').trim();
  if (!s) return undefined;
  return s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX)}…` : s;
}

/** ISO-8601 string or unix seconds (or ms) → "Tuesday, 3 March 2026" (UTC); undefined when not a date. */
export function formatLongDate(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value < 1e12 ? value * 1000 : value;
  else if (typeof value === 'string' && value.trim()) ms = Date.parse(value);
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  return `${WEEKDAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/**
 * Minor units (Stripe's convention) + ISO currency → "$49.00", "€9.99", "¥1,500" (zero-decimal currencies
 * via Intl). No currency → undefined (an amount without one would mislead). A code Intl rejects → "4900 XYZ".
 */
export function formatMoney(amount: unknown, currency: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  const code = typeof currency === 'string' ? currency.trim().toUpperCase() : '';
  if (!code) return undefined;
  try {
    const fmt = new Intl.NumberFormat('en', { style: 'currency', currency: code });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(amount / 10 ** digits);
  } catch {
    return line(`${amount} ${code}`);
  }
}

/** "Acme Billing <billing@acme.com>" → "Acme Billing"; a bare address (or quotes only) → undefined. */
export function senderName(from: string): string | undefined {
  const m = /^\s*"?([^"<]*?)"?\s*<[^>]+>\s*$/.exec(from);
  return line(m?.[1]);
}

/** An absolute https URL as given, else undefined. */
function httpsUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function pick(facts: EmailFacts, ...names: string[]): unknown {
  for (const n of names) if (facts[n] !== undefined) return facts[n];
  return undefined;
}

/** `customer` is null for an email to the founder (an alert): only the facts speak. */
export function emailView(customer: CustomerSnapshot | null, facts: EmailFacts, from: string): EmailView {
  const name = line(customer?.name);
  const next = pick(facts, 'next_payment_attempt', 'next_retry');
  const view: EmailView = {
    greeting_name: name?.split(' ')[0] ?? 'there',
    name,
    email: line(customer?.email),
    sender: senderName(from),
    amount: formatMoney(pick(facts, 'amount_due', 'amount'), facts.currency),
    retry_date: formatLongDate(next),
    no_retry: next === null ? true : undefined,
    invoice_url: httpsUrl(facts.hosted_invoice_url),
    attempt_count: line(facts.attempt_count),
    trial_end_date: formatLongDate(facts.trial_end),
    ticket_id: line(facts.ticket_id),
    subject: line(facts.subject),
    // An app escalation's own id ("1"), not its helpdesk key (events/app.ts).
    escalation_id: line(facts.app_escalation_id ?? facts.escalation_id),
    title: line(facts.title),
    summary: line(facts.summary),
    action: line(facts.action),
    rule: line(facts.rule),
    incident_id: line(facts.incident_id),
    opened_at: line(facts.opened_at),
    resolved_at: line(facts.resolved_at),
    open_for: line(facts.open_for),
  };
  // Absent keys, not `undefined` values: the view is also what a test or a preview prints.
  for (const k of VIEW_KEYS) if (view[k] === undefined) delete view[k];
  return view;
}
