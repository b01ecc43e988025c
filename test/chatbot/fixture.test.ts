import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, truncateAll, useTestDb } from '../support/db.js';
import { repoRoot } from '../support/stripe-fixtures.js';
import { act, decisionById, outbox } from './support.js';

interface FixtureMessage {
  id: string;
  action: string;
  confidence: number;
  message: string;
  metadata?: Record<string, unknown>;
  expected: { category: string; decision: 'executed' | 'needs_review' | 'rejected'; rule: string };
}

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/chatbot-messages.json'), 'utf8')) as { messages: FixtureMessage[] };
const MESSAGES = fixture.messages;

describe('chatbot message fixture', () => {
  it('has at least 40 realistic messages covering every category and decision', () => {
    expect(MESSAGES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(MESSAGES.map((m) => m.id)).size).toBe(MESSAGES.length);
    expect(new Set(MESSAGES.map((m) => m.expected.category))).toEqual(
      new Set(['billing', 'refund', 'cancellation', 'bug', 'outage', 'security', 'legal', 'account', 'general']),
    );
    expect(new Set(MESSAGES.map((m) => m.expected.decision))).toEqual(new Set(['executed', 'needs_review', 'rejected']));
    expect(MESSAGES.filter((m) => m.expected.rule === 'prompt_injection').length).toBeGreaterThanOrEqual(5);
  });
});

describe.each(DB_KINDS)('every fixture message through POST /api/chatbot/actions on %s', (kind) => {
  const t = useTestDb(kind);
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
    await truncateAll(t.db);
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
  });
  afterAll(async () => {
    await rt.close();
  });

  // Each message has its own customer and conversation, so no rate limit or earlier decision interferes.
  it.each(MESSAGES.map((m) => [m.id, m] as const))('%s', async (_id, m) => {
    const r = await act(rt, {
      conversation_id: `fx-${m.id}`,
      customer: { email: `fx-${m.id}@example.com` },
      action: m.action,
      message: m.message,
      confidence: m.confidence,
      ...(m.metadata ? { metadata: m.metadata } : {}),
    });
    expect(r.status).toBe(m.expected.decision === 'rejected' ? 422 : 200);
    expect({ decision: r.body.decision, category: r.body.category }).toEqual({ decision: m.expected.decision, category: m.expected.category });

    const d = await decisionById(t.db, r.body.decision_id!);
    expect(d).toMatchObject({ rule: m.expected.rule, message: m.message, review: m.expected.decision === 'needs_review' ? 'pending' : null });
    const mine = (await outbox(t.db)).filter((j) => j.customer_id === d!.customer_id && d!.customer_id !== null);
    if (m.expected.decision !== 'executed') {
      expect(mine).toEqual([]);
    } else if (m.action === 'escalate_to_support' || m.action === 'request_refund_review') {
      const ticket = mine.find((j) => j.connector === 'zendesk');
      expect(String(ticket?.id)).toBe(r.body.job_id);
      expect(ticket!.payload.facts).toMatchObject({ escalation_id: expect.stringMatching(new RegExp(`^chatbot:[0-9a-f]{12}:fx-${m.id}$`)), message: m.message.slice(0, 10_000) });
    }
  });
});
