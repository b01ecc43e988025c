/**
 * The founder's app events (`POST /api/events`, API-key authenticated) → DomainEvent. Pure.
 *
 * Invariants:
 * - The body is validated whole; any problem → BadRequestError with `details: FieldError[]` listing
 *   every field at once. Unknown top-level keys are dropped, not rejected.
 * - The customer is named by `customer.email` and/or `customer.user_id` (at least one). Emails are
 *   validated and normalised (trimmed, lower-case).
 * - `kind` is the `type` verbatim. Facts are built from a few named, primitive `data` fields only;
 *   arbitrary nested data never reaches facts.
 * - occurredAt = `occurred_at` (ISO-8601 with Z or an offset), else `now` (the receive time).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { fieldErrors, normaliseEmail, type DomainEvent, type DomainEventKind, type Identities } from './types.js';

export const APP_EVENT_TYPES = [
  'user.signed_up',
  'trial.started',
  'user.activated',
  'support.escalation_requested',
  'support.resolved',
] as const satisfies readonly DomainEventKind[];

/** An email field of an API body: validated, trimmed and lower-cased (the chatbot gateway uses it too). */
export const EmailField = z
  .string()
  .max(320)
  .transform((raw, ctx) => {
    const e = normaliseEmail(raw);
    if (e === undefined || !z.email().safeParse(e).success) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid email address' });
      return z.NEVER;
    }
    return e;
  });

export const AppEventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.enum(APP_EVENT_TYPES),
  occurred_at: z.iso.datetime({ offset: true }).optional(),
  customer: z
    .object({
      email: EmailField.optional(),
      user_id: z.string().trim().min(1).max(200).optional(),
      name: z.string().trim().max(200).optional(),
    })
    .refine((c) => c.email !== undefined || c.user_id !== undefined, {
      message: 'customer.email or customer.user_id is required',
    }),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type AppEvent = z.output<typeof AppEventSchema>;

const SUBJECT_MAX = 200;
const PRIORITY_MAX = 50;
const SHORT_MAX = 200;
/** A ticket body; longer messages are cut (the full request stays in the inbox payload). */
const MESSAGE_MAX = 10_000;
const PLAN_MAX = 100;

export function fromApp(body: unknown, now: Date = new Date()): DomainEvent {
  const parsed = AppEventSchema.safeParse(body);
  if (!parsed.success) throw new BadRequestError('invalid app event', fieldErrors(parsed.error.issues));
  const e = parsed.data;
  const identities: Identities = {};
  if (e.customer.email !== undefined) identities.email = e.customer.email;
  if (e.customer.user_id !== undefined) identities.app_user = e.customer.user_id;
  const out: DomainEvent = {
    source: 'app',
    eventId: e.id,
    sourceType: e.type,
    kind: e.type,
    occurredAt: e.occurred_at !== undefined ? new Date(e.occurred_at) : now,
    identities,
    facts: factsFor(e),
  };
  if (e.customer.name) out.name = e.customer.name;
  return out;
}

/**
 * The helpdesk key of an app escalation (the Zendesk ticket's external_id): `app:<12 hex of the customer's app user
 * id, else email>:<the app's id>`. Apps number escalations per user ("1", "2", …), so the app's id is scoped to the
 * customer: two customers' escalation "1" are two tickets. (Unscoped, the second customer's message was added to
 * the FIRST customer's ticket as a private comment.) The user id comes first because it is the app's stable key; an
 * app that names a customer by email in one event and by user id only in the next gets two tickets, never a wrong one.
 */
export function appEscalationId(customer: { email?: string; user_id?: string }, id: string): string {
  const who = customer.user_id !== undefined ? `app_user:${customer.user_id}` : `email:${customer.email ?? ''}`;
  return `app:${createHash('sha256').update(who).digest('hex').slice(0, 12)}:${id}`;
}

/**
 * Named primitive fields only. An escalation always has an id so effects can key on it: data.escalation_id
 * when it is a short string or number, else the event id; scoped to the customer (appEscalationId) as
 * `escalation_id`, the app's own as `app_escalation_id` (emails show that one).
 */
function factsFor(e: AppEvent): DomainEvent['facts'] {
  const d = e.data ?? {};
  if (e.type === 'support.escalation_requested') {
    const own = short(d.escalation_id) ?? e.id;
    const facts: DomainEvent['facts'] = { escalation_id: appEscalationId(e.customer, own), app_escalation_id: own };
    if (typeof d.subject === 'string') facts.subject = cut(d.subject, SUBJECT_MAX);
    if (typeof d.priority === 'string') facts.priority = cut(d.priority, PRIORITY_MAX);
    // The customer's own words become the ticket body (the helpdesk connector); never logged.
    const message = typeof d.message === 'string' ? cut(d.message.trim(), MESSAGE_MAX).trim() : '';
    if (message) facts.message = message;
    // Optional ticket context: the plan's name and monthly recurring revenue in major units (49.5).
    const plan = short(d.plan);
    if (plan !== undefined) facts.plan = plan.slice(0, PLAN_MAX);
    if (typeof d.mrr === 'number' && Number.isFinite(d.mrr) && d.mrr >= 0) facts.mrr = d.mrr;
    return facts;
  }
  if (e.type === 'support.resolved') {
    const id = short(d.escalation_id);
    return id === undefined ? {} : { escalation_id: appEscalationId(e.customer, id), app_escalation_id: id };
  }
  return {};
}

/** The first `max` UTF-16 units, never ending in half of a surrogate pair (jsonb refuses those). */
function cut(s: string, max: number): string {
  const c = s.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(c) ? c.slice(0, -1) : c;
}

/** A non-empty string (or a finite number, as a string) of at most SHORT_MAX characters. */
function short(v: unknown): string | undefined {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  return s && s.length <= SHORT_MAX ? s : undefined;
}
