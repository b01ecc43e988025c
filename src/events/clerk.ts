/**
 * Clerk webhook (Standard Webhooks / Svix, already verified, parsed JSON) → DomainEvent. Pure.
 *
 * Invariants:
 * - eventId is the verified message id (`svix-id` / `webhook-id`), never a field of the body.
 * - The email is the entry of `email_addresses` whose `id` equals `primary_email_address_id`; never
 *   chosen by position. No primary match → no email identity (the user is still linked by clerk_user).
 * - user.created → user.signed_up, user.updated → user.updated; every other type → kind null.
 * - occurredAt: payload `timestamp` (ms), else the user's `updated_at` (user.updated) / `created_at` (ms),
 *   else the verified `svix-timestamp` header (s). None of them → BadRequestError.
 * - A body of the wrong shape → BadRequestError whose details list every field problem.
 */
import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { fieldErrors, normaliseEmail, type DomainEvent, type DomainEventKind, type Identities } from './types.js';

/** The verified Standard Webhooks headers: message id, and optionally the timestamp in seconds. */
export interface ClerkHeaders {
  id: string;
  timestamp?: string | number;
}

const Millis = z.number().int().nonnegative().max(8_640_000_000_000_000);

const Envelope = z.object({
  type: z.string().min(1),
  timestamp: Millis.optional(),
  data: z.record(z.string(), z.unknown()),
});

const User = z.object({
  id: z.string().min(1),
  primary_email_address_id: z.string().nullish(),
  email_addresses: z.array(z.object({ id: z.string(), email_address: z.string() })).default([]),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  created_at: Millis.nullish(),
  updated_at: Millis.nullish(),
});
const UserEvent = Envelope.extend({ data: User });

const KINDS = new Map<string, DomainEventKind>([
  ['user.created', 'user.signed_up'],
  ['user.updated', 'user.updated'],
]);

export function fromClerk(payload: unknown, headers: ClerkHeaders): DomainEvent {
  if (typeof headers.id !== 'string' || headers.id.length === 0) {
    throw new BadRequestError('missing webhook message id: pass the verified svix-id / webhook-id header');
  }
  const env = Envelope.safeParse(payload);
  if (!env.success) throw invalid(env.error.issues);
  const { type, timestamp, data } = env.data;
  const kind = KINDS.get(type) ?? null;

  if (kind === null) {
    // Not a lifecycle event; keep the acting user when the payload names one.
    const user = type.startsWith('user.') ? str(data.id) : str(data.user_id);
    return build(headers, type, null, occurredAt(timestamp, num(data.created_at), headers), user ? { clerk_user: user } : {}, {
      ignoredReason: `no rule for clerk event type ${type}`,
    });
  }

  const parsed = UserEvent.safeParse(payload);
  if (!parsed.success) throw invalid(parsed.error.issues);
  const u = parsed.data.data;
  const primary = u.email_addresses.find((e) => e.id === u.primary_email_address_id);
  const email = primary ? normaliseEmail(primary.email_address) : undefined;
  const identities: Identities = { clerk_user: u.id, ...(email ? { email } : {}) };
  const name = [u.first_name, u.last_name].map((s) => s?.trim()).filter(Boolean).join(' ') || undefined;
  const when = occurredAt(timestamp, (type === 'user.updated' ? u.updated_at : undefined) ?? u.created_at ?? undefined, headers);
  return build(headers, type, kind, when, identities, name ? { name } : {});
}

function build(
  headers: ClerkHeaders,
  type: string,
  kind: DomainEventKind | null,
  occurredAt: Date,
  identities: Identities,
  extra: { name?: string; ignoredReason?: string },
): DomainEvent {
  return { source: 'clerk', eventId: headers.id, sourceType: type, kind, occurredAt, identities, facts: {}, ...extra };
}

/** The first candidate (ms) that is a valid date; the header timestamp is in seconds. */
function occurredAt(timestampMs: number | undefined, objectMs: number | undefined, headers: ClerkHeaders): Date {
  const headerSeconds = headers.timestamp === undefined || headers.timestamp === '' ? undefined : Number(headers.timestamp);
  for (const ms of [timestampMs, objectMs, headerSeconds === undefined ? undefined : headerSeconds * 1000]) {
    if (ms === undefined || !Number.isFinite(ms)) continue;
    const d = new Date(ms);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new BadRequestError('clerk event has no usable time', [
    { path: 'timestamp', message: 'expected timestamp (ms), data.created_at or a webhook timestamp header' },
  ]);
}

function invalid(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): BadRequestError {
  return new BadRequestError('invalid clerk webhook payload', fieldErrors(issues));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
