import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { API_KEY, appEventRequest, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { act, actionBody, decisions, reviewVerdict } from './support.js';

/** `{"x": [[[…]]]}` with `depth` levels of arrays inside metadata, as raw JSON (JSON.stringify would overflow building it). */
const nestedMetadataBody = (depth: number) =>
  JSON.stringify(actionBody({ action: 'tag_customer', confidence: 0.1 })).replace('"conversation_id"', `"metadata":{"x":${'['.repeat(depth)}${']'.repeat(depth)}},"conversation_id"`);

describe.each(DB_KINDS)('chatbot gateway under hostile bodies on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
  });
  afterAll(async () => {
    await rt.close();
  });
  beforeEach(async () => {
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
  });

  it('deeply nested metadata (within the body limit) is a 422 naming metadata, never a 500; nothing stored', async () => {
    const body = nestedMetadataBody(100_000);
    expect(body.length).toBeLessThan(rt.config.bodyLimitBytes);
    const r = await act(rt, body);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ decision: 'rejected', error: 'unprocessable' });
    expect(r.body.details?.map((d) => d.path)).toContain('metadata');
    expect(await decisions(t.db)).toHaveLength(0);
  });

  it('the bot can never merge two customers: an email and a user id of different people → review; approval acts on one, merges nothing', async () => {
    for (const [id, who] of [['v', 'victim'], ['a', 'attacker']]) {
      const signup = { id: `signup-${id}`, type: 'user.signed_up', customer: { email: `${who}@example.com`, user_id: `u-${who}` } };
      expect((await rt.app.request('/api/events', appEventRequest(signup))).status).toBe(200);
    }
    const r = await act(rt, actionBody({ action: 'tag_customer', confidence: 0.95, customer: { email: 'victim@example.com', user_id: 'u-attacker' } }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ decision: 'needs_review' });
    const [d] = await decisions(t.db);
    expect(d!.rule).toBe('identity_conflict');
    const live = async () => Number((await t.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM customers WHERE merged_into IS NULL`)).rows[0]!.n);
    expect(await live()).toBe(2);

    expect((await reviewVerdict(rt, r.body.decision_id!, 'approve')).status).toBe(200);
    expect(await live()).toBe(2);
    const owners = await t.db.query<{ value: string; email: string }>(
      `SELECT i.value, c.email FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'app_user' ORDER BY i.value`,
    );
    expect(owners.rows).toEqual([
      { value: 'u-attacker', email: 'attacker@example.com' },
      { value: 'u-victim', email: 'victim@example.com' },
    ]);
  });

  it('metadata nested within the limit is stored as sent', async () => {
    const r = await act(rt, nestedMetadataBody(30));
    expect(r.status).toBe(200);
    const [d] = await decisions(t.db);
    expect(JSON.stringify(d!.metadata)).toBe(`{"x":${'['.repeat(30)}${']'.repeat(30)}}`);
  });
});
