/**
 * The chatbot's request (`POST /api/chatbot/actions`) and the vocabulary the gateway decides with. Pure.
 *
 * Invariants:
 * - The body is validated whole; every problem is listed at once (FieldError[]), and any problem is a 422
 *   `decision: "rejected"`: nothing is stored for a body that cannot be read.
 * - `action` is any short string here: the ALLOWLIST is a decision rule (rules.ts), so an unknown action
 *   from a well-formed request is stored and counted as rejected, not lost as a parse error.
 * - The customer is named by `customer.email` and/or `customer.user_id` (at least one); emails are
 *   normalised (trimmed, lower-case). `metadata.note` (update_contact_note) and `metadata.tag`
 *   (tag_customer) are validated when present; other metadata is stored as sent.
 * - Optional fields may be null (= absent); unknown top-level keys are dropped, not rejected.
 */
import { z } from 'zod';
import { EmailField, fieldErrors, type FieldError } from '../events/index.js';

/** The only actions the bot can cause. Everything else is rejected (422) and counted. */
export const ACTIONS = ['escalate_to_support', 'request_refund_review', 'update_contact_note', 'tag_customer'] as const;
export type ChatbotAction = (typeof ACTIONS)[number];
export const isAllowedAction = (a: string): a is ChatbotAction => (ACTIONS as readonly string[]).includes(a);

export const CATEGORIES = ['billing', 'refund', 'cancellation', 'bug', 'outage', 'security', 'legal', 'account', 'general'] as const;
export type Category = (typeof CATEGORIES)[number];

export type Priority = 'urgent' | 'high' | 'normal';

/** A chatbot message is stored whole up to this; the ticket gets the first TICKET_MESSAGE_MAX characters. */
export const MESSAGE_MAX = 50_000;
export const NOTE_MAX = 2_000;
const TAG = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** metadata is stored as jsonb: deeper nesting is refused (422), never a stack overflow (500) when it is serialised. */
export const METADATA_DEPTH_MAX = 32;

/** How deeply arrays and objects nest in `v`, counted without recursion and stopping past `limit`. */
function nestingDepth(v: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Object.values(x)) stack.push([child, d + 1]);
  }
  return max;
}

const Metadata = z
  .record(z.string(), z.unknown())
  .superRefine((m, ctx) => {
    if (nestingDepth(m, METADATA_DEPTH_MAX) > METADATA_DEPTH_MAX) {
      ctx.addIssue({ code: 'custom', message: `must nest objects and arrays at most ${METADATA_DEPTH_MAX} levels deep` });
    }
    if (m.note !== undefined && (typeof m.note !== 'string' || m.note.trim() === '' || m.note.length > NOTE_MAX)) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: `must be a non-empty string of at most ${NOTE_MAX} characters` });
    }
    if (m.tag !== undefined && (typeof m.tag !== 'string' || !TAG.test(m.tag.trim().toLowerCase()))) {
      ctx.addIssue({ code: 'custom', path: ['tag'], message: 'must be 1-40 characters: letters, digits, "_" or "-", starting with a letter or digit' });
    }
  });

export const ActionRequestSchema = z.object({
  conversation_id: z.string().trim().min(1).max(200),
  customer: z
    .object({
      email: EmailField.nullish(),
      user_id: z.string().trim().min(1).max(200).nullish(),
    })
    .refine((c) => c.email != null || c.user_id != null, { message: 'customer.email or customer.user_id is required' }),
  action: z.string().trim().min(1).max(100),
  message: z
    .string()
    .max(MESSAGE_MAX)
    .refine((s) => s.trim() !== '', { message: 'must not be empty' }),
  confidence: z.number().min(0).max(1).nullish(),
  metadata: Metadata.nullish(),
});

export interface ActionRequest {
  conversationId: string;
  email?: string;
  userId?: string;
  action: string;
  message: string;
  botConfidence?: number;
  metadata: Record<string, unknown>;
  /** metadata.note, trimmed (update_contact_note writes it; default: the message). */
  note?: string;
  /** metadata.tag, trimmed and lower-cased (tag_customer; default: the category). */
  tag?: string;
}

export type Parsed = { ok: true; request: ActionRequest } | { ok: false; details: FieldError[] };

export function parseActionRequest(body: unknown): Parsed {
  const r = ActionRequestSchema.safeParse(body);
  if (!r.success) return { ok: false, details: fieldErrors(r.error.issues) };
  const b = r.data;
  const metadata = b.metadata ?? {};
  const request: ActionRequest = { conversationId: b.conversation_id, action: b.action, message: b.message, metadata };
  // null is accepted for every optional field and means absent (what many clients send).
  if (b.customer.email != null) request.email = b.customer.email;
  if (b.customer.user_id != null) request.userId = b.customer.user_id;
  if (b.confidence != null) request.botConfidence = b.confidence;
  Object.assign(request, noteAndTag(metadata));
  return { ok: true, request };
}

/** metadata.note (trimmed) and metadata.tag (trimmed, lower case), when they are strings. */
export function noteAndTag(metadata: Record<string, unknown>): { note?: string; tag?: string } {
  const out: { note?: string; tag?: string } = {};
  if (typeof metadata.note === 'string' && metadata.note.trim() !== '') out.note = metadata.note.trim();
  if (typeof metadata.tag === 'string' && metadata.tag.trim() !== '') out.tag = metadata.tag.trim().toLowerCase();
  return out;
}
