import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import { ensureBootstrapKey } from '../../src/runtime.js';
import { startHubspotEmulator, startZendeskEmulator, type HubspotEmulator, type ZendeskEmulator } from '../emulators/index.js';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { settled } from '../support/wait.js';
import { act, actionBody, reviewVerdict } from './support.js';

/** The gateway's effects delivered by the real dispatcher to the Zendesk and HubSpot emulators. */
describe.each(DB_KINDS)('chatbot actions delivered end to end on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let zd: ZendeskEmulator;
  let hs: HubspotEmulator;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    await ensureBootstrapKey(t.db, API_KEY, systemIds);
    zd = await startZendeskEmulator();
    hs = await startHubspotEmulator();
    rt = await startTestApp(t, {
      worker: true,
      env: { ZENDESK_BASE_URL: zd.url, ZENDESK_EMAIL: zd.email, ZENDESK_API_TOKEN: zd.apiToken, HUBSPOT_ACCESS_TOKEN: hs.token, HUBSPOT_BASE_URL: hs.url },
    });
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await zd.close();
    await hs.close();
  });

  it('one conversation, two escalations (one executed, one approved later) → one ticket with both messages', async () => {
    const first = await act(rt!, actionBody({ conversation_id: 'conv-e2e', message: 'Your site is down for our whole team', confidence: 0.2 }));
    expect(first.body.decision).toBe('executed');
    await settled(t.db);
    const second = await act(rt!, actionBody({ conversation_id: 'conv-e2e', message: 'Also the export button throws an error', confidence: 0.4 }));
    expect(second.body.decision).toBe('needs_review');
    expect((await reviewVerdict(rt!, second.body.decision_id!, 'approve')).status).toBe(200);
    const done = await settled(t.db);

    expect(zd.tickets.size).toBe(1);
    const ticket = [...zd.tickets.values()][0]!;
    expect(ticket).toMatchObject({ external_id: expect.stringMatching(/^chatbot:[0-9a-f]{12}:conv-e2e$/), priority: 'urgent' });
    expect(ticket.comments.map((c) => c.body)).toEqual([expect.stringContaining('Your site is down for our whole team'), expect.stringContaining('Also the export button throws an error')]);
    const zdJobs = done.filter((j) => j.connector === 'zendesk');
    expect(zdJobs.map((j) => [String(j.id), j.status])).toEqual([
      [first.body.job_id, 'done'],
      [expect.any(String), 'done'],
    ]);
    expect(hs.contacts.get('ana@example.com')?.properties.handoff_support).toBe('needs_support');
  });

  it('update_contact_note writes the one note property on the HubSpot contact, nothing else from the bot', async () => {
    const r = await act(rt!, actionBody({ action: 'update_contact_note', message: 'How do I change my email address?', metadata: { note: 'Prefers email; on vacation until the 3rd' } }));
    expect(r.body.decision).toBe('executed');
    const done = await settled(t.db);
    expect(done.find((j) => String(j.id) === r.body.job_id)).toMatchObject({ connector: 'hubspot', kind: 'update_note', status: 'done' });
    expect(hs.properties.get('handoff_chatbot_note')).toMatchObject({ type: 'string', fieldType: 'textarea' });
    const contact = hs.contacts.get('ana@example.com');
    expect(contact?.properties).toMatchObject({ email: 'ana@example.com', handoff_chatbot_note: 'Prefers email; on vacation until the 3rd' });
    const noteWrites = hs.requests.filter((q) => q.path.startsWith('/crm/v3/objects/') && JSON.stringify(q.body ?? {}).includes('handoff_chatbot_note'));
    for (const w of noteWrites) expect(Object.keys((w.body as { properties: Record<string, string> }).properties).filter((k) => k !== 'email')).toEqual(['handoff_chatbot_note']);
  });
});
