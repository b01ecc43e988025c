/**
 * What an executed (or approved) action becomes: ONE domain event recorded through the pipeline, so its
 * effects leave only through the outbox under the state table's rules. Pure.
 *
 *   escalate_to_support   → support.escalation_requested (rule support_needed: crm_sync + zendesk_ticket)
 *   request_refund_review → the same escalation, category `refund`, priority at least high
 *   update_contact_note   → crm.note_requested (rule crm_note: ONE HubSpot job writing the note property;
 *                            the only CRM write carrying the bot's words)
 *   tag_customer          → customer.tagged (rule customer_tagged: a timeline entry, no provider call)
 *
 * Invariants:
 * - eventId = the decision id: a decision is executed at most once (immediately or on approval), and a
 *   retried transaction can never queue its effect twice ((source, eventId) is unique in the inbox).
 * - escalation_id = chatbotEscalationId(customer, conversation): every escalation of one conversation names
 *   the same ticket, so the Zendesk connector keeps ONE ticket per conversation (external_id) and comments on
 *   later ones; the customer is part of it, so two customers' conversations that happen to share an id (a
 *   bot numbering per user, an app escalation id) never land on one ticket.
 * - Text is cut at a code-point boundary (never half an emoji, which jsonb would refuse).
 */
import { createHash } from 'node:crypto';
import type { DomainEvent, Identities } from '../events/index.js';
import { NOTE_MAX, type Category, type ChatbotAction, type Priority } from './schema.js';

export const TICKET_MESSAGE_MAX = 10_000;
const SUBJECT_WORDS_MAX = 80;

export interface EffectInput {
  decisionId: string;
  conversationId: string;
  action: ChatbotAction;
  message: string;
  note?: string;
  tag?: string;
  category: Category;
  priority: Priority;
  email?: string;
  userId?: string;
  occurredAt: Date;
}

/** `chatbot:<12 hex of the customer's email or user id>:<conversation id>` — namespaced and per customer. */
export function chatbotEscalationId(d: Pick<EffectInput, 'email' | 'userId' | 'conversationId'>): string {
  const who = d.email ? `email:${d.email}` : `app_user:${d.userId ?? ''}`;
  return `chatbot:${createHash('sha256').update(who).digest('hex').slice(0, 12)}:${d.conversationId}`;
}

export function effectEvent(d: EffectInput): DomainEvent {
  const identities: Identities = {};
  if (d.email) identities.email = d.email;
  if (d.userId) identities.app_user = d.userId;
  const base = { source: 'chatbot' as const, eventId: d.decisionId, sourceType: `chatbot.${d.action}`, occurredAt: d.occurredAt, identities };
  const ids = { decision_id: d.decisionId, conversation_id: d.conversationId };

  switch (d.action) {
    case 'escalate_to_support':
    case 'request_refund_review': {
      const refund = d.action === 'request_refund_review';
      return {
        ...base,
        kind: 'support.escalation_requested',
        facts: {
          escalation_id: chatbotEscalationId(d),
          subject: `${refund ? 'Refund review' : `Chatbot escalation (${d.category})`}: ${firstWords(d.message)}`,
          message: cut(d.message, TICKET_MESSAGE_MAX),
          priority: d.priority,
          category: refund ? 'refund' : d.category,
          action: d.action,
          ...ids,
        },
      };
    }
    case 'update_contact_note':
      return { ...base, kind: 'crm.note_requested', facts: { note: cut(d.note ?? d.message.trim(), NOTE_MAX), category: d.category, ...ids } };
    case 'tag_customer':
      return { ...base, kind: 'customer.tagged', facts: { tag: d.tag ?? d.category, ...ids } };
  }
}

/** At most `max` UTF-16 units, never ending in half a surrogate pair. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const out = s.slice(0, max);
  const last = out.charCodeAt(out.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? out.slice(0, -1) : out;
}

function firstWords(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length <= SUBJECT_WORDS_MAX ? flat : `${cut(flat, SUBJECT_WORDS_MAX - 1)}…`;
}
