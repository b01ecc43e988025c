import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_LIFECYCLE_MAP } from '../../src/config/index.js';
import { createHubspotConnector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { ProviderError } from '../../src/errors.js';
import { startHubspotEmulator, HUBSPOT_TEST_TOKEN, type HubspotEmulator, type HubspotEmulatorOptions } from '../emulators/index.js';

/** The HubSpot connector's `update_note` job: the ONE CRM write the chatbot can cause. */
const job = (note: unknown = 'Prefers email'): JobToRun => ({ id: 1, connector: 'hubspot', kind: 'update_note', idempotencyKey: 'crm_note:chatbot:d1', attempts: 0, payload: { note } });
const customer = (over: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({ id: 'c1', email: 'ada@example.com', name: 'Ada', lifecycle: 'paid', support: 'none', identities: {}, ...over });
const signal = new AbortController().signal;

let emu: HubspotEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function setup(opts: HubspotEmulatorOptions = {}) {
  emu = await startHubspotEmulator(opts);
  const hs = createHubspotConnector(
    { accessToken: HUBSPOT_TEST_TOKEN, baseUrl: emu.url, lifecycleMap: { ...DEFAULT_HUBSPOT_LIFECYCLE_MAP }, stateProperty: 'handoff_lifecycle' },
    { timeoutMs: 2000 },
  );
  return { emu, hs };
}

const calls = (e: HubspotEmulator) => e.requests.map((r) => `${r.method} ${r.path}`);

describe('hubspot connector: update_note', () => {
  it('defines the note property once, then writes only that property on the existing contact', async () => {
    const { emu, hs } = await setup();
    const existing = emu.seed({ email: 'ada@example.com', firstname: 'Ada', lifecyclestage: 'customer' });
    const r = await hs.run(job(), customer(), signal);
    expect(r).toMatchObject({ status: 'done', identities: { hubspot_contact: existing.id }, result: { contactId: existing.id, created: false, property: 'handoff_chatbot_note' } });
    expect(calls(emu)).toEqual(['POST /crm/v3/properties/contacts', 'PATCH /crm/v3/objects/contacts/ada%40example.com?idProperty=email']);
    expect(emu.requests[1]!.body).toEqual({ properties: { handoff_chatbot_note: 'Prefers email' } });
    expect(emu.contacts.get('ada@example.com')!.properties).toMatchObject({ firstname: 'Ada', lifecyclestage: 'customer', handoff_chatbot_note: 'Prefers email' });

    await hs.run(job('Now prefers phone'), customer(), signal);
    expect(calls(emu).filter((c) => c.startsWith('POST /crm/v3/properties'))).toHaveLength(1);
    expect(emu.contacts.get('ada@example.com')!.properties.handoff_chatbot_note).toBe('Now prefers phone');
  });

  it('creates the contact (email + note) when HubSpot has none', async () => {
    const { emu, hs } = await setup({ definedProperties: ['handoff_chatbot_note'] });
    const r = await hs.run(job(), customer(), signal);
    expect(r).toMatchObject({ status: 'done', result: { created: true } });
    expect(emu.contacts.get('ada@example.com')!.properties).toMatchObject({ email: 'ada@example.com', handoff_chatbot_note: 'Prefers email' });
    expect(emu.contacts.size).toBe(1);
  });

  it('without the schema scope: uses a property created by hand, else skips with the reason', async () => {
    const { emu, hs } = await setup({ schemaScope: 'read', definedProperties: ['handoff_chatbot_note'] });
    expect((await hs.run(job(), customer(), signal)).status).toBe('done');
    await emu.close();

    const missing = await setup({ schemaScope: 'read' });
    const r = await missing.hs.run(job(), customer(), signal);
    expect(r).toEqual({ status: 'skipped', reason: expect.stringContaining('crm.schemas.contacts.write') });
    expect(calls(missing.emu).some((c) => c.startsWith('PATCH'))).toBe(false);
  });

  it('skips a customer without an email and a job without a note (an empty value would clear the property)', async () => {
    const { emu, hs } = await setup();
    expect(await hs.run(job(), customer({ email: null }), signal)).toMatchObject({ status: 'skipped' });
    expect(await hs.run(job('   '), customer(), signal)).toEqual({ status: 'skipped', reason: 'the job carries no note' });
    expect(await hs.run(job(null), customer(), signal)).toEqual({ status: 'skipped', reason: 'the job carries no note' });
    expect(emu.requests).toEqual([]);
  });

  it('a provider failure is a ProviderError for the dispatcher to retry; the next attempt succeeds', async () => {
    const { emu, hs } = await setup();
    emu.faults.push({ status: 503, match: { method: 'PATCH' } });
    const err = await hs.run(job(), customer(), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).httpStatus).toBe(503);
    expect(await hs.run(job(), customer(), signal)).toMatchObject({ status: 'done' });
  });
});
