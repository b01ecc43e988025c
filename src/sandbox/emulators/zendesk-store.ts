/**
 * The Zendesk emulator's data: tickets with their comments, end users, and Zendesk's error bodies.
 * No HTTP here (zendesk.ts routes requests to it). Shapes follow the Support API v2 (PROVIDERS.md).
 */
export type ZendeskStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
export const ZENDESK_STATUSES: readonly ZendeskStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];

export interface StoredComment {
  id: number;
  body: string;
  public: boolean;
  author_id: number;
  created_at: string;
}

export interface StoredUser {
  id: number;
  name: string;
  email: string | null;
  role: 'end-user' | 'agent' | 'admin';
}

export interface StoredTicket {
  id: number;
  subject: string;
  status: ZendeskStatus;
  priority: string | null;
  requester_id: number;
  submitter_id: number;
  external_id: string | null;
  tags: string[];
  via_followup_source_id: number | null;
  created_at: string;
  updated_at: string;
  comments: StoredComment[];
}

export type StoreResult = { ticket: StoredTicket; statusChanged?: { from: ZendeskStatus; to: ZendeskStatus } } | { status: number; error: object };

export function recordInvalid(field: string, description: string, error = 'InvalidValue'): object {
  return { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description, error }] } };
}
export const NOT_FOUND = { error: 'RecordNotFound', description: 'Not found' };
export const UNAUTHORIZED = { error: "Couldn't authenticate you" };
export const RATE_LIMITED_TEXT = 'Number of allowed API requests per minute exceeded';

export class TicketStore {
  readonly tickets = new Map<number, StoredTicket>();
  readonly users = new Map<number, StoredUser>();
  private nextTicket = 1;
  private nextComment = 1000;
  private nextUser = 5000;
  /** The API user (the agent whose token the connector uses); author of API comments. */
  readonly agent: StoredUser;

  constructor(agentEmail: string) {
    this.agent = this.addUser('Handoff API', agentEmail, 'admin');
  }

  byExternalId(externalId: string): StoredTicket[] {
    return [...this.tickets.values()].filter((t) => t.external_id === externalId);
  }

  /** POST /api/v2/tickets.json semantics: validates, finds or creates the requester, stores the first comment. */
  create(input: Record<string, unknown>): StoreResult {
    const comment = obj(input.comment);
    const body = str(comment.body) ?? str(comment.html_body) ?? str(input.description);
    if (!body) return { status: 422, error: recordInvalid('description', 'Description: cannot be blank', 'BlankValue') };
    const priority = input.priority === undefined || input.priority === null ? null : String(input.priority);
    if (priority !== null && !PRIORITIES.includes(priority)) return { status: 422, error: recordInvalid('priority', 'Priority: is not valid') };
    const status = input.status === undefined ? 'new' : String(input.status);
    if (!ZENDESK_STATUSES.includes(status as ZendeskStatus)) return { status: 422, error: recordInvalid('status', 'Status: is not valid') };
    const requester = this.requester(input.requester);
    if ('status' in requester) return requester;
    const followUp = input.via_followup_source_id;
    if (followUp !== undefined && (typeof followUp !== 'number' || this.tickets.get(followUp)?.status !== 'closed')) {
      return { status: 422, error: recordInvalid('via_followup_source_id', 'Via followup source: must be a closed ticket') };
    }
    const now = new Date().toISOString();
    const ticket: StoredTicket = {
      id: this.nextTicket++,
      subject: str(input.subject) ?? body.slice(0, 80),
      status: status as ZendeskStatus,
      priority,
      requester_id: requester.user.id,
      submitter_id: this.agent.id,
      external_id: input.external_id === undefined || input.external_id === null ? null : String(input.external_id),
      tags: normaliseTags(input.tags),
      via_followup_source_id: typeof followUp === 'number' ? followUp : null,
      created_at: now,
      updated_at: now,
      comments: [],
    };
    ticket.comments.push(this.comment(body, comment.public !== false, requester.user.id, now));
    this.tickets.set(ticket.id, ticket);
    return { ticket };
  }

  /** PUT /api/v2/tickets/{id}.json semantics: comment, status, priority, subject, tags / additional_tags / remove_tags. */
  update(id: number, input: Record<string, unknown>): StoreResult {
    const ticket = this.tickets.get(id);
    if (!ticket) return { status: 404, error: NOT_FOUND };
    if (ticket.status === 'closed') return { status: 422, error: recordInvalid('status', 'Status: closed prevents ticket update', 'ClosedPreventsUpdate') };
    const status = input.status === undefined ? ticket.status : String(input.status);
    if (!ZENDESK_STATUSES.includes(status as ZendeskStatus)) return { status: 422, error: recordInvalid('status', 'Status: is not valid') };
    if (input.priority !== undefined && input.priority !== null && !PRIORITIES.includes(String(input.priority))) {
      return { status: 422, error: recordInvalid('priority', 'Priority: is not valid') };
    }
    const comment = obj(input.comment);
    const body = str(comment.body) ?? str(comment.html_body);
    if (input.comment !== undefined && !body) return { status: 422, error: recordInvalid('comment', 'Comment: cannot be blank', 'BlankValue') };
    const now = new Date().toISOString();
    if (body) ticket.comments.push(this.comment(body, comment.public !== false, this.agent.id, now));
    if (input.priority !== undefined) ticket.priority = input.priority === null ? null : String(input.priority);
    if (typeof input.subject === 'string') ticket.subject = input.subject;
    if (input.tags !== undefined) ticket.tags = normaliseTags(input.tags);
    if (input.additional_tags !== undefined) ticket.tags = normaliseTags([...ticket.tags, ...normaliseTags(input.additional_tags)]);
    if (input.remove_tags !== undefined) {
      const gone = new Set(normaliseTags(input.remove_tags));
      ticket.tags = ticket.tags.filter((t) => !gone.has(t));
    }
    const from = ticket.status;
    ticket.status = status as ZendeskStatus;
    ticket.updated_at = now;
    return from === ticket.status ? { ticket } : { ticket, statusChanged: { from, to: ticket.status } };
  }

  private requester(v: unknown): { user: StoredUser } | { status: number; error: object } {
    if (v === undefined || v === null) return { user: this.agent }; // Zendesk: the API user is the requester
    const r = obj(v);
    const email = str(r.email)?.toLowerCase();
    if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return { status: 422, error: recordInvalid('requester', 'Requester: Email is invalid') };
    const existing = email ? [...this.users.values()].find((u) => u.email === email) : undefined;
    if (existing) return { user: existing };
    const name = str(r.name) ?? email;
    if (!name) return { status: 422, error: recordInvalid('requester', 'Requester: Name is too short (minimum one character)') };
    return { user: this.addUser(name, email ?? null, 'end-user') };
  }

  private addUser(name: string, email: string | null, role: StoredUser['role']): StoredUser {
    const user: StoredUser = { id: this.nextUser++, name, email, role };
    this.users.set(user.id, user);
    return user;
  }

  private comment(body: string, isPublic: boolean, author: number, at: string): StoredComment {
    return { id: this.nextComment++, body, public: isPublic, author_id: author, created_at: at };
  }
}

/** A ticket as the API returns it. */
export function ticketWire(t: StoredTicket, origin: string): Record<string, unknown> {
  return {
    url: `${origin}/api/v2/tickets/${t.id}.json`,
    id: t.id,
    external_id: t.external_id,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: t.created_at,
    updated_at: t.updated_at,
    type: null,
    subject: t.subject,
    raw_subject: t.subject,
    description: t.comments[0]?.body ?? '',
    priority: t.priority,
    status: t.status,
    requester_id: t.requester_id,
    submitter_id: t.submitter_id,
    assignee_id: null,
    organization_id: null,
    group_id: null,
    tags: [...t.tags],
    custom_fields: [],
    is_public: t.comments[0]?.public ?? true,
    followup_ids: [],
    ...(t.via_followup_source_id !== null ? { via_followup_source_id: t.via_followup_source_id } : {}),
  };
}

/** Zendesk lower-cases tags, turns spaces into separate tags and drops duplicates. */
export function normaliseTags(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  const out: string[] = [];
  for (const item of list) {
    for (const tag of String(item).toLowerCase().split(/\s+/)) if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}
