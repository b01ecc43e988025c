import { createHash } from 'node:crypto';
import type { CustomerSnapshot } from '../types.js';

/**
 * What the Zendesk connector sends, as pure functions of the job and the customer snapshot.
 * Nothing here does I/O; index.ts decides which request to make.
 */

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The escalation a create_ticket job carries in payload.facts (events/app.ts builds it). */
export interface Escalation {
  escalationId: string;
  subject?: string;
  message?: string;
  priority?: string;
  plan?: string;
  mrr?: number;
}

/** payload.facts → Escalation. A job without an escalation id is a bug in whoever queued it: thrown, never retried. */
export function escalationFrom(payload: Record<string, unknown>): Escalation {
  const f = payload.facts;
  const facts = f && typeof f === 'object' && !Array.isArray(f) ? (f as Record<string, unknown>) : {};
  const id = facts.escalation_id;
  const escalationId = typeof id === 'number' && Number.isFinite(id) ? String(id) : typeof id === 'string' ? id.trim() : '';
  if (!escalationId) throw new Error('zendesk connector: create_ticket needs payload.facts.escalation_id');
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const mrr = facts.mrr;
  return {
    escalationId,
    subject: text(facts.subject),
    message: text(facts.message),
    priority: text(facts.priority),
    plan: text(facts.plan) ?? (typeof facts.plan === 'number' ? String(facts.plan) : undefined),
    mrr: typeof mrr === 'number' && Number.isFinite(mrr) && mrr >= 0 ? mrr : undefined,
  };
}

/** Zendesk's four priorities; anything else (absent, "P1", "asap") is `normal`. */
export function ticketPriority(v: string | undefined): Priority {
  const p = v?.trim().toLowerCase();
  return (PRIORITIES as readonly string[]).includes(p ?? '') ? (p as Priority) : 'normal';
}

/**
 * The Idempotency-Key for creating the ticket of an escalation. It is derived from the escalation id
 * ALONE, so every job of one escalation (duplicates, retries, a second message in the same conversation)
 * competes for the same key and Zendesk lets exactly one of them create a ticket. `afterClosed` names a
 * closed ticket being followed up (a new key: the closed one can never be updated again).
 * Keys are ≤ 255 visible ASCII characters; other escalation ids are hashed.
 */
export function creationKey(escalationId: string, afterClosed?: number): string {
  const id = /^[\x21-\x7e]{1,200}$/.test(escalationId) ? escalationId : `sha256-${sha(escalationId).slice(0, 32)}`;
  return `handoff-escalation-${id}${afterClosed === undefined ? '' : `-after-${afterClosed}`}`;
}

/**
 * A tag naming the JOB (its idempotency key, hashed): put on the ticket by the request that carries the
 * job's message (creation or comment). It is how a retry recognises its own earlier success, so a retry
 * never comments twice and a different job of the same escalation is never mistaken for a retry.
 */
export function refTag(jobKey: string): string {
  return `handoff_ref_${sha(jobKey).slice(0, 12)}`;
}

/** Tags: handoff, lifecycle_<state>, plan_<slug> and mrr_<whole units> when known, and the job's ref. */
export function ticketTags(customer: CustomerSnapshot, esc: Escalation, ref: string): string[] {
  const tags = ['handoff', `lifecycle_${customer.lifecycle}`];
  const plan = esc.plan ? slug(esc.plan) : '';
  if (plan) tags.push(`plan_${plan}`);
  if (esc.mrr !== undefined) tags.push(`mrr_${Math.round(esc.mrr)}`);
  tags.push(ref);
  return tags;
}

const SUBJECT_MAX = 250;

/** POST /api/v2/tickets.json body. The first comment is the customer's own message, public. */
export function newTicketBody(customer: CustomerSnapshot & { email: string }, esc: Escalation, ref: string, followUpOf?: number) {
  const who = customer.name ?? customer.email;
  const subject = (esc.subject ?? `Support request from ${who}`).slice(0, SUBJECT_MAX);
  const body = esc.message ?? `${who} asked for help (escalation ${esc.escalationId}); no message was given.`;
  return {
    ticket: {
      subject,
      comment: { body, public: true },
      requester: { name: customer.name ?? customer.email, email: customer.email },
      external_id: esc.escalationId,
      priority: ticketPriority(esc.priority),
      tags: ticketTags(customer, esc, ref),
      ...(followUpOf === undefined ? {} : { via_followup_source_id: followUpOf }),
    },
  };
}

/**
 * PUT /api/v2/tickets/{id}.json body for a further request in the same escalation: a private note with
 * the new message, the job's ref tag, and `open` again if the ticket had been solved.
 */
export function followUpBody(esc: Escalation, ref: string, reopen: boolean) {
  const text = esc.message ?? '(no message was given)';
  return {
    ticket: {
      comment: { body: `The customer asked again in the same conversation (escalation ${esc.escalationId}):\n\n${text}`, public: false },
      additional_tags: [ref],
      ...(reopen ? { status: 'open' } : {}),
    },
  };
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
}

function sha(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
