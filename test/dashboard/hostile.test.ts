import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { ADMIN_TOKEN, API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { act, actionBody } from '../chatbot/support.js';
import { login } from './support.js';

/** A multipart body that names no boundary (or a boundary it never uses): the parser cannot read it. */
const brokenMultipart = (body: string, headers: Record<string, string> = {}, contentType = 'multipart/form-data'): RequestInit => ({
  method: 'POST',
  body,
  headers: { 'content-type': contentType, ...headers },
});

describe.each(DB_KINDS)('dashboard forms under hostile bodies on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t);
  });
  afterAll(async () => {
    await rt.close();
  });
  beforeEach(async () => {
    await t.db.exec('TRUNCATE dashboard_sessions');
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
    rt.logLines.length = 0;
  });

  const errorLines = () => rt.logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);

  it('an unreadable multipart login is a 400 page, not a 500; no session, nothing logged as an error', async () => {
    for (const init of [brokenMultipart(`token=${ADMIN_TOKEN}`), brokenMultipart(`token=${ADMIN_TOKEN}`, {}, 'multipart/form-data; boundary=zz')]) {
      const res = await rt.app.request('/login', init);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect((await t.db.query('SELECT 1 FROM dashboard_sessions')).rows).toHaveLength(0);
    expect(errorLines()).toEqual([]);
  });

  it('an unreadable multipart form post from a signed-in browser is a 400 page and changes nothing', async () => {
    const held = await act(rt, actionBody({ confidence: 0.2 }));
    expect(held.body.decision).toBe('needs_review');
    const s = await login(rt.app);
    const res = await rt.app.request(`/review/${held.body.decision_id}/approve`, brokenMultipart(`csrf=${s.csrf}`, { cookie: s.cookie }));
    expect(res.status).toBe(400);
    const row = (await t.db.query<{ review: string }>('SELECT review FROM chatbot_decisions WHERE id = $1', [held.body.decision_id])).rows[0];
    expect(row?.review).toBe('pending');
    expect(errorLines()).toEqual([]);
  });
});
