import { noteAndTag, type Category, type EffectInput, type Priority } from '../chatbot/index.js';
import { fromApp, fromClerk, fromStripe, fromZendesk, type DomainEvent } from '../events/index.js';

/** One stored inbox row, as listRehearsalInbox reads it. */
export interface StoredEvent {
  id: number;
  source: string;
  event_id: string;
  type: string;
  occurred_at: Date;
  received_at: Date;
  payload: unknown;
}

/** A stored chatbot decision (listRehearsalDecisions): the chatbot's events are rebuilt from it. */
export interface StoredDecision {
  id: string;
  conversation_id: string;
  action: EffectInput['action'];
  message: string;
  metadata: Record<string, unknown> | null;
  category: Category;
  priority: Priority;
  email: string | null;
  user_id: string | null;
}

export type Rebuilt =
  | { kind: 'event'; event: DomainEvent }
  /** Chatbot events go through chatbot/execute (identity ownership is decided against the replayed data). */
  | { kind: 'chatbot'; input: EffectInput; rule: string }
  | { kind: 'skip'; reason: string };

/**
 * The domain event ingest made from this stored, already verified payload: the same mapping per source
 * (events/), without signature checks. What ingest took from the request's headers comes from the row:
 * the event id (Clerk's svix-id, a Zendesk trigger's derived id) and the time (Clerk's svix-timestamp,
 * the app's and Zendesk's receive time), so the rebuilt event has the stored id and occurred_at.
 * A payload that no longer maps (a mapping changed since) is skipped with the reason, never guessed.
 */
export function rebuildEvent(row: StoredEvent, decisions: ReadonlyMap<string, StoredDecision>): Rebuilt {
  const at = new Date(row.occurred_at);
  try {
    switch (row.source) {
      case 'stripe':
        return keep(fromStripe(row.payload), row);
      case 'clerk':
        return keep(fromClerk(row.payload, { id: row.event_id, timestamp: Math.floor(at.getTime() / 1000) }), row);
      case 'app':
        return keep(fromApp(row.payload, at), row);
      case 'zendesk':
        return keep(fromZendesk(row.payload, at), row);
      case 'chatbot': {
        const d = decisions.get(row.event_id);
        if (!d) return { kind: 'skip', reason: 'its chatbot decision is no longer stored' };
        const p = (row.payload ?? {}) as { rule?: unknown };
        return {
          kind: 'chatbot',
          rule: typeof p.rule === 'string' ? p.rule : 'rehearsal',
          input: {
            decisionId: d.id,
            conversationId: d.conversation_id,
            action: d.action,
            message: d.message,
            ...noteAndTag(d.metadata ?? {}),
            category: d.category,
            priority: d.priority,
            email: d.email ?? undefined,
            userId: d.user_id ?? undefined,
            occurredAt: at,
          },
        };
      }
      default:
        return { kind: 'skip', reason: `no mapping for source ${row.source}` };
    }
  } catch (err) {
    return { kind: 'skip', reason: `its payload no longer maps to an event (${(err as Error).message})` };
  }
}

/** The row is the truth for identity and time: the dedupe key and ordering must match what was recorded. */
function keep(event: DomainEvent, row: StoredEvent): Rebuilt {
  return { kind: 'event', event: { ...event, eventId: row.event_id, occurredAt: new Date(row.occurred_at) } };
}
