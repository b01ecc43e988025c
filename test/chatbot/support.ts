import type { Queryable } from '../../src/db/index.js';
import { API_KEY, adminHeaders, type TestApp } from '../support/app.js';

/** One chatbot request as the bot sends it. */
export function chatbotRequest(body: unknown, key = API_KEY): RequestInit {
  return { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
}

export interface ActionBody {
  conversation_id: string;
  customer: { email?: string; user_id?: string };
  action: string;
  message: string;
  confidence?: number;
  metadata?: Record<string, unknown>;
}

export const actionBody = (over: Partial<ActionBody> = {}): ActionBody => ({
  conversation_id: 'conv-1',
  customer: { email: 'ana@example.com' },
  action: 'escalate_to_support',
  message: 'The export button throws an error and nothing downloads',
  confidence: 0.9,
  ...over,
});

export interface Reply {
  decision: string;
  reason: string;
  category: string;
  decision_id?: string;
  job_id?: string;
  error?: string;
  details?: Array<{ path: string; message: string }>;
}

export async function act(rt: TestApp, body: unknown, key?: string): Promise<{ status: number; body: Reply }> {
  const res = await rt.app.request('/api/chatbot/actions', chatbotRequest(body, key));
  return { status: res.status, body: (await res.json()) as Reply };
}

export async function reviewVerdict(rt: TestApp, id: string, verdict: 'approve' | 'reject', headers: Record<string, string> = adminHeaders) {
  const res = await rt.app.request(`/api/review/${encodeURIComponent(id)}/${verdict}`, { method: 'POST', headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface DecisionRow {
  id: string;
  conversation_id: string;
  customer_id: string | null;
  email: string | null;
  user_id: string | null;
  action: string;
  message: string;
  bot_confidence: number | null;
  metadata: Record<string, unknown>;
  classification: Record<string, unknown> & { classifier: string; category: string; steering: string[]; fallback?: string };
  category: string;
  priority: string;
  decision: string;
  rule: string;
  reason: string;
  review: string | null;
  inbox_id: number | null;
  job_id: number | null;
}

export const decisions = async (db: Queryable) =>
  (await db.query<DecisionRow>('SELECT * FROM chatbot_decisions ORDER BY created_at, id')).rows;

export const decisionById = async (db: Queryable, id: string) =>
  (await db.query<DecisionRow>('SELECT * FROM chatbot_decisions WHERE id = $1', [id])).rows[0];

export interface OutboxRow {
  id: number;
  connector: string;
  kind: string;
  idempotency_key: string;
  status: string;
  customer_id: string;
  payload: { facts?: Record<string, unknown>; note?: unknown; [k: string]: unknown };
}

export const outbox = async (db: Queryable) =>
  (await db.query<OutboxRow>('SELECT id, connector, kind, idempotency_key, status, customer_id, payload FROM jobs ORDER BY id')).rows;

export const count = async (db: Queryable, table: string) => Number((await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`)).rows[0]!.n);
