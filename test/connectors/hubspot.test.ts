import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_LIFECYCLE_MAP } from '../../src/config/index.js';
import { createHubspotConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { contactProperties, existingIdFrom, stageToSend } from '../../src/connectors/hubspot/index.js';
import { isRetryable } from '../../src/dispatcher/retry-policy.js';
import { ProviderError } from '../../src/errors.js';
import { HANDOFF_PROPERTIES } from '../../src/sandbox/emulators/hubspot.js';
import { HUBSPOT_TEST_TOKEN, startHubspotEmulator, type HubspotEmulator, type HubspotEmulatorOptions } from '../emulators/index.js';

const job: JobToRun = { id: 1, connector: 'hubspot', kind: 'upsert_contact', idempotencyKey: 'hs:c1:1', attempts: 0, payload: {} };
const signal = new AbortController().signal;

function customer(over: Partial<CustomerSnapshot> = {}): CustomerSnapshot {
  return { id: 'c1', email: 'ada@example.com', name: 'Ada Lovelace', lifecycle: 'lead', support: 'none', identities: {}, ...over };
}

let emu: HubspotEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function setup(opts: HubspotEmulatorOptions = {}, token = HUBSPOT_TEST_TOKEN, timeoutMs = 2000): Promise<{ emu: HubspotEmulator; hs: Connector }> {
  emu = await startHubspotEmulator(opts);
  const hs = createHubspotConnector(
    { accessToken: token, baseUrl: emu.url, lifecycleMap: { ...DEFAULT_HUBSPOT_LIFECYCLE_MAP }, stateProperty: 'handoff_lifecycle' },
    { timeoutMs },
  );
  return { emu, hs };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Requests on contacts only: the once-per-process property setup has its own tests below. */
const contactRequests = (e: HubspotEmulator) => e.requests.filter((r) => r.path.startsWith('/crm/v3/objects/'));
const propertyRequests = (e: HubspotEmulator) => e.requests.filter((r) => r.path.startsWith('/crm/v3/properties/'));
const calls = (e: HubspotEmulator) => contactRequests(e).map((r) => `${r.method} ${r.path}${r.fault ? ` (${r.fault})` : ''}`);
const sentStages = (e: HubspotEmulator) =>
  contactRequests(e).map((r) => (r.body as { properties?: Record<string, unknown> } | undefined)?.properties?.lifecyclestage).filter((s) => s !== undefined);

describe('hubspot connector: upsert_contact', () => {
  it('creates, then updates the same contact: one contact, same id', async () => {
    const { emu, hs } = await setup();
    const first = await hs.run(job, customer({ lifecycle: 'trial' }), signal);
    expect(first).toMatchObject({ status: 'done', result: { created: true } });
    const id = (first as unknown as { result: { contactId: string } }).result.contactId;
    expect(first).toMatchObject({ identities: { hubspot_contact: id } });
    expect(calls(emu)).toEqual(['PATCH /crm/v3/objects/contacts/ada%40example.com?idProperty=email', 'POST /crm/v3/objects/contacts']);
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({
      email: 'ada@example.com',
      firstname: 'Ada',
      lastname: 'Lovelace',
      lifecyclestage: 'opportunity',
      handoff_lifecycle: 'trial',
      handoff_support: 'none',
    });

    const second = await hs.run(job, customer({ lifecycle: 'paid', support: 'needs_support' }), signal);
    expect(second).toEqual({ status: 'done', identities: { hubspot_contact: id }, result: { contactId: id, created: false } });
    expect(emu.contacts.size).toBe(1);
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({
      lifecyclestage: 'customer',
      handoff_lifecycle: 'paid',
      handoff_support: 'needs_support',
    });
  });

  it('running the same job twice changes nothing more (at-least-once safe)', async () => {
    const { emu, hs } = await setup();
    await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    const before = { ...emu.contacts.get('ada@example.com')!.properties, lastmodifieddate: '' };
    await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    expect(emu.contacts.size).toBe(1);
    expect({ ...emu.contacts.get('ada@example.com')!.properties, lastmodifieddate: '' }).toEqual(before);
  });

  it('409 race: PATCH by email 404s, the contact appears, POST 409 → PATCH by the existing id', async () => {
    const { emu, hs } = await setup();
    const existing = emu.seed({ email: 'ada@example.com', lifecyclestage: 'lead' });
    emu.faults.push({ status: 404, match: { method: 'PATCH' } }); // as if created between our PATCH and POST
    const r = await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    expect(r).toEqual({ status: 'done', identities: { hubspot_contact: existing.id }, result: { contactId: existing.id, created: false } });
    expect(calls(emu).slice(0, 3)).toEqual([
      'PATCH /crm/v3/objects/contacts/ada%40example.com?idProperty=email (404)',
      'POST /crm/v3/objects/contacts',
      `PATCH /crm/v3/objects/contacts/${existing.id}`,
    ]);
    expect(emu.contacts.size).toBe(1);
    expect(existing.properties).toMatchObject({ handoff_lifecycle: 'paid', lifecyclestage: 'customer' });
  });

  it('409 without an "Existing ID" is rethrown as 409 (retryable): the next attempt updates by email', async () => {
    const { emu, hs } = await setup();
    emu.faults.push(
      { status: 404, match: { method: 'PATCH' } },
      { status: 409, match: { method: 'POST', path: '/crm/v3/objects/contacts' }, body: '{"status":"error","message":"Conflict","category":"CONFLICT"}' },
    );
    const err = await failure(hs.run(job, customer(), signal));
    expect(err.kind).toBe('http');
    expect(err.httpStatus).toBe(409);
  });

  describe.each(['sent', 'all'] as const)('PATCH responses echo %s properties', (patchEchoes) => {
    it('the stage never moves backwards, but our custom property is updated', async () => {
      const { emu, hs } = await setup({ patchEchoes, backwardStage: 'reject' });
      const c = emu.seed({ email: 'ada@example.com', lifecyclestage: 'customer' });
      const r = await hs.run(job, customer({ lifecycle: 'trial' }), signal); // trial → opportunity < customer
      expect(r).toMatchObject({ status: 'done', result: { contactId: c.id, created: false } });
      expect(c.properties.lifecyclestage).toBe('customer');
      expect(c.properties.handoff_lifecycle).toBe('trial');
      expect(sentStages(emu)).toEqual([]); // never even asked
      expect(contactRequests(emu)).toHaveLength(patchEchoes === 'all' ? 1 : 2); // 'sent': one GET to learn the stage
    });

    it('a forward move is sent by id, after our state', async () => {
      const { emu, hs } = await setup({ patchEchoes });
      const c = emu.seed({ email: 'ada@example.com', lifecyclestage: 'lead' });
      await hs.run(job, customer({ lifecycle: 'paid' }), signal);
      expect(c.properties).toMatchObject({ lifecyclestage: 'customer', handoff_lifecycle: 'paid' });
      expect(calls(emu).at(-1)).toBe(`PATCH /crm/v3/objects/contacts/${c.id}`);
      expect(emu.requests.at(-1)?.body).toEqual({ properties: { lifecyclestage: 'customer' } });
      expect(contactRequests(emu)).toHaveLength(patchEchoes === 'all' ? 2 : 3);
    });
  });

  it('an unchanged stage costs one request when HubSpot echoes it', async () => {
    const { emu, hs } = await setup({ patchEchoes: 'all' });
    emu.seed({ email: 'ada@example.com', lifecyclestage: 'customer' });
    await hs.run(job, customer({ lifecycle: 'past_due' }), signal);
    expect(contactRequests(emu)).toHaveLength(1);
  });

  it('an account-specific (numeric) stage is never overwritten', async () => {
    const { emu, hs } = await setup({ patchEchoes: 'all' });
    const c = emu.seed({ email: 'ada@example.com', lifecyclestage: '1234567' });
    await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    expect(c.properties.lifecyclestage).toBe('1234567');
    expect(c.properties.handoff_lifecycle).toBe('paid');
  });

  it('a one-word name sets only firstname (an empty lastname would clear HubSpot’s)', async () => {
    const { emu, hs } = await setup();
    const c = emu.seed({ email: 'ada@example.com', firstname: 'A', lastname: 'Lovelace' });
    await hs.run(job, customer({ name: 'Ada' }), signal);
    expect(c.properties).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace' });
    expect((contactRequests(emu)[0]!.body as { properties: object }).properties).not.toHaveProperty('lastname');
  });

  it('a customer without email is skipped without any request', async () => {
    const { emu, hs } = await setup();
    const r = await hs.run(job, customer({ email: null }), signal);
    expect(r).toEqual({ status: 'skipped', reason: expect.stringContaining('no email') });
    expect(emu.requests).toHaveLength(0);
  });

  it('a wrong token → ProviderError 401; the token is not in the message', async () => {
    const { emu, hs } = await setup({}, 'pat-na1-wrong-token-value');
    const err = await failure(hs.run(job, customer(), signal));
    expect(err).toMatchObject({ kind: 'http', httpStatus: 401, provider: 'hubspot' });
    expect(err.message).toContain('INVALID_AUTHENTICATION');
    expect(err.message).not.toContain('pat-na1-wrong-token-value');
    expect(emu.requests[0]!.headers.authorization).toBe('Bearer pat-na1-wrong-token-value');
  });

  it('503 and 429 surface with status and Retry-After; HubSpot’s own 429 carries none', async () => {
    const { emu, hs } = await setup({ rateLimit: { max: 3, intervalMs: 60_000 } });
    emu.faults.push({ status: 503, retryAfter: 3, match: { path: '/crm/v3/objects/' } });
    // Two property POSTs count against the limit; the faulted PATCH (in front of HubSpot) does not.
    expect(await failure(hs.run(job, customer(), signal))).toMatchObject({ httpStatus: 503, retryAfterMs: 3000 });
    const limited = await failure(hs.run(job, customer(), signal)); // PATCH 404 uses the last request, POST 429s
    expect(limited).toMatchObject({ kind: 'http', httpStatus: 429, retryAfterMs: undefined });
    expect(limited.message).toContain('TEN_SECONDLY_ROLLING');
  });

  it('a provider that hangs → kind timeout', async () => {
    const { emu, hs } = await setup({}, HUBSPOT_TEST_TOKEN, 150);
    emu.faults.push({ kind: 'timeout' });
    expect(await failure(hs.run(job, customer(), signal))).toMatchObject({ kind: 'timeout' });
  });

  it('a reset connection → kind network', async () => {
    const { emu, hs } = await setup();
    emu.faults.push({ kind: 'reset' });
    expect(await failure(hs.run(job, customer(), signal))).toMatchObject({ kind: 'network' });
  });

  it('rejects a job kind it does not know', async () => {
    const { hs } = await setup();
    await expect(hs.run({ ...job, kind: 'delete_contact' }, customer(), signal)).rejects.toThrow(/unknown job kind/);
  });
});

describe('hubspot connector: custom properties', () => {
  const PROPS = '/crm/v3/properties/contacts';
  const createPosts = (e: HubspotEmulator) => propertyRequests(e).filter((r) => r.method === 'POST');
  const someone = (n: number) => customer({ id: `c${n}`, email: `p${n}@example.com`, lifecycle: 'paid' });

  it('a fresh account: both properties are created once per process, then every contact carries our state', async () => {
    const { emu, hs } = await setup();
    await hs.run(job, someone(1), signal);
    await Promise.all([2, 3, 4, 5].map((n) => hs.run(job, someone(n), signal))); // concurrent jobs too
    await hs.run(job, someone(1), signal);

    expect(createPosts(emu).map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${PROPS}`, `POST ${PROPS}`]);
    expect(propertyRequests(emu)).toHaveLength(2);
    expect(emu.requests.slice(0, 2).map((r) => r.path)).toEqual([PROPS, PROPS]); // before the first contact write
    expect(createPosts(emu).map((r) => r.body)).toEqual([
      {
        name: 'handoff_lifecycle',
        label: 'Handoff lifecycle',
        type: 'enumeration',
        fieldType: 'select',
        groupName: 'contactinformation',
        options: ['lead', 'trial', 'paid', 'past_due', 'churned'].map((value, displayOrder) => ({ label: expect.any(String), value, displayOrder })),
      },
      {
        name: 'handoff_support',
        label: 'Handoff support',
        type: 'enumeration',
        fieldType: 'select',
        groupName: 'contactinformation',
        options: ['none', 'needs_support'].map((value, displayOrder) => ({ label: expect.any(String), value, displayOrder })),
      },
    ]);
    expect([...emu.properties.keys()]).toEqual(HANDOFF_PROPERTIES);
    expect(emu.contacts.size).toBe(5);
    for (const c of emu.contacts.values()) expect(c.properties).toMatchObject({ handoff_lifecycle: 'paid', handoff_support: 'none' });
  });

  it('the configured state property name is the one created and written', async () => {
    emu = await startHubspotEmulator();
    const hs = createHubspotConnector(
      { accessToken: HUBSPOT_TEST_TOKEN, baseUrl: emu.url, lifecycleMap: { ...DEFAULT_HUBSPOT_LIFECYCLE_MAP }, stateProperty: 'acme_stage' },
      { timeoutMs: 2000 },
    );
    await hs.run(job, customer({ lifecycle: 'trial' }), signal);
    expect([...emu.properties.keys()]).toEqual(['acme_stage', 'handoff_support']);
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({ acme_stage: 'trial', handoff_support: 'none' });
  });

  it('properties that already exist: 409 is fine, and a new process asks again (once)', async () => {
    const { emu, hs } = await setup({ definedProperties: HANDOFF_PROPERTIES });
    const r = await hs.run(job, customer(), signal);
    expect(r).toMatchObject({ status: 'done', result: { created: true } });
    expect((r as { result: object }).result).not.toHaveProperty('customProperties');
    await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    expect(createPosts(emu)).toHaveLength(2);
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_lifecycle).toBe('paid');

    const restarted = createHubspotConnector(
      { accessToken: HUBSPOT_TEST_TOKEN, baseUrl: emu.url, lifecycleMap: { ...DEFAULT_HUBSPOT_LIFECYCLE_MAP }, stateProperty: 'handoff_lifecycle' },
      { timeoutMs: 2000 },
    );
    await restarted.run(job, customer({ lifecycle: 'churned' }), signal);
    expect(createPosts(emu)).toHaveLength(4);
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_lifecycle).toBe('churned');
  });

  it('403 on creation (no schema scope) and the properties are absent → contacts still upserted without them, and the result says so', async () => {
    const { emu, hs } = await setup({ schemaScope: 'read' });
    const first = await hs.run(job, customer({ lifecycle: 'paid' }), signal);
    const second = await hs.run(job, customer({ id: 'c2', email: 'bob@example.com', name: 'Bob' }), signal);
    for (const r of [first, second]) {
      expect(r).toMatchObject({ status: 'done', result: { customProperties: expect.stringMatching(/^missing: handoff_lifecycle, handoff_support not defined;.*crm\.schemas\.contacts\.write/) } });
      expect(JSON.stringify(r)).not.toContain(HUBSPOT_TEST_TOKEN);
    }
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', lifecyclestage: 'customer' });
    expect(emu.contacts.get('ada@example.com')?.properties).not.toHaveProperty('handoff_lifecycle');
    expect(emu.contacts.get('bob@example.com')?.properties).toMatchObject({ firstname: 'Bob', lifecyclestage: 'lead' });
    // Decided once: one POST (403, the scope is missing for both), one GET per property, then contacts only.
    expect(propertyRequests(emu).map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${PROPS}`,
      `GET ${PROPS}/handoff_lifecycle`,
      `GET ${PROPS}/handoff_support`,
    ]);
    for (const r of contactRequests(emu)) expect(JSON.stringify(r.body ?? {})).not.toMatch(/handoff_/);
  });

  it('403 on creation but the properties were created by hand → they are still written', async () => {
    const { emu, hs } = await setup({ schemaScope: 'read', definedProperties: HANDOFF_PROPERTIES });
    const r = await hs.run(job, customer({ lifecycle: 'trial', support: 'needs_support' }), signal);
    expect((r as { result: object }).result).not.toHaveProperty('customProperties');
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({ handoff_lifecycle: 'trial', handoff_support: 'needs_support' });
  });

  it('403 on creation, one property present → that one is written, the other reported missing', async () => {
    const { emu, hs } = await setup({ schemaScope: 'read', definedProperties: ['handoff_lifecycle'] });
    const r = await hs.run(job, customer({ lifecycle: 'trial' }), signal);
    expect(r).toMatchObject({ result: { customProperties: expect.stringMatching(/^missing: handoff_support not defined;/) } });
    expect(emu.contacts.get('ada@example.com')?.properties).toMatchObject({ handoff_lifecycle: 'trial' });
    expect(emu.contacts.get('ada@example.com')?.properties).not.toHaveProperty('handoff_support');
  });

  it('403 on creation and on lookup (cannot tell) → degrade, saying they could not be checked', async () => {
    const { emu, hs } = await setup({ schemaScope: 'none' });
    const r = await hs.run(job, customer(), signal);
    expect(r).toMatchObject({ status: 'done', result: { customProperties: expect.stringMatching(/^missing: handoff_lifecycle, handoff_support could not be checked \(HTTP 403\)/) } });
    expect(emu.contacts.size).toBe(1);
  });

  it('503 on creation → retryable ProviderError, no contact written; the next run creates them', async () => {
    const { emu, hs } = await setup();
    emu.faults.push({ status: 503, match: { method: 'POST', path: PROPS } });
    const err = await failure(hs.run(job, customer(), signal));
    expect(err).toMatchObject({ provider: 'hubspot', kind: 'http', httpStatus: 503 });
    expect(isRetryable(err)).toBe(true);
    expect(contactRequests(emu)).toHaveLength(0);

    const r = await hs.run(job, customer(), signal);
    expect(r).toMatchObject({ status: 'done', result: { created: true } });
    expect(createPosts(emu).map((q) => q.fault ?? 'answered')).toEqual(['503', 'answered', 'answered']);
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_lifecycle).toBe('lead');
    await hs.run(job, customer(), signal);
    expect(createPosts(emu)).toHaveLength(3); // remembered once it worked
  });

  it('429 on the second property → retryable; the retry asks for both again, the first answering 409', async () => {
    const rateLimit = { max: 1, intervalMs: 60_000 };
    const { emu, hs } = await setup({ rateLimit });
    const err = await failure(hs.run(job, customer(), signal));
    expect(err).toMatchObject({ httpStatus: 429 });
    expect(isRetryable(err)).toBe(true);
    expect([...emu.properties.keys()]).toEqual(['handoff_lifecycle']);

    rateLimit.max = 100; // the emulator reads its limit live
    const r = await hs.run(job, customer(), signal);
    expect(r).toMatchObject({ status: 'done' });
    expect([...emu.properties.keys()]).toEqual(HANDOFF_PROPERTIES);
    expect(createPosts(emu).map((q) => (q.body as { name: string }).name)).toEqual(['handoff_lifecycle', 'handoff_support', 'handoff_lifecycle', 'handoff_support']);
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_support).toBe('none');
  });

  it('a timeout during creation → retryable, forgotten, retried', async () => {
    const { emu, hs } = await setup({}, HUBSPOT_TEST_TOKEN, 150);
    emu.faults.push({ kind: 'timeout', match: { path: PROPS } });
    const err = await failure(hs.run(job, customer(), signal));
    expect(err.kind).toBe('timeout');
    expect(isRetryable(err)).toBe(true);
    expect(await hs.run(job, customer(), signal)).toMatchObject({ status: 'done' });
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_lifecycle).toBe('lead');
  });

  it('a permanent failure (401) is not remembered: each job fails with the real cause', async () => {
    const { emu, hs } = await setup({}, 'pat-na1-wrong-token-value');
    for (let i = 0; i < 2; i++) expect(await failure(hs.run(job, customer(), signal))).toMatchObject({ httpStatus: 401 });
    expect(createPosts(emu)).toHaveLength(2);
  });

  it('a property deleted while running → that job fails (400, permanent), the next one recreates it', async () => {
    const { emu, hs } = await setup();
    await hs.run(job, customer(), signal);
    emu.properties.delete('handoff_support');
    const err = await failure(hs.run(job, customer({ support: 'needs_support' }), signal));
    expect(err).toMatchObject({ httpStatus: 400 });
    expect(err.message).toContain('does not exist');
    expect(isRetryable(err)).toBe(false);
    await hs.run(job, customer({ support: 'needs_support' }), signal);
    expect(emu.properties.has('handoff_support')).toBe(true);
    expect(emu.contacts.get('ada@example.com')?.properties.handoff_support).toBe('needs_support');
  });
});

describe('hubspot rules (pure)', () => {
  it('stageToSend only moves forward', () => {
    expect(stageToSend(null, 'lead')).toBe('lead');
    expect(stageToSend('', 'customer')).toBe('customer');
    expect(stageToSend('lead', 'customer')).toBe('customer');
    expect(stageToSend('customer', 'customer')).toBeNull();
    expect(stageToSend('evangelist', 'customer')).toBeNull();
    expect(stageToSend('123', 'customer')).toBeNull();
    expect(stageToSend('lead', '123')).toBeNull();
    expect(stageToSend(undefined, '123')).toBe('123');
  });

  it('splits the name on the first space', () => {
    const p = contactProperties({ ...customer(), email: 'a@x.com', name: '  Jean  Luc Picard ' }, 'handoff_lifecycle');
    expect(p).toEqual({ email: 'a@x.com', firstname: 'Jean', lastname: 'Luc Picard', handoff_lifecycle: 'lead', handoff_support: 'none' });
  });

  it('parses the existing id from HubSpot’s 409 message', () => {
    expect(existingIdFrom({ message: 'Contact already exists. Existing ID: 37765128953' })).toBe('37765128953');
    expect(existingIdFrom({ message: 'Conflict' })).toBeUndefined();
    expect(existingIdFrom(null)).toBeUndefined();
  });
});

describe('hubspot emulator', () => {
  const auth = { authorization: `Bearer ${HUBSPOT_TEST_TOKEN}`, 'content-type': 'application/json' };

  it('answers POST 409 with HubSpot’s body, and carries rate-limit headers', async () => {
    emu = await startHubspotEmulator();
    const body = JSON.stringify({ properties: { email: 'a@x.com' } });
    const first = await fetch(`${emu.url}/crm/v3/objects/contacts`, { method: 'POST', headers: auth, body });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string; properties: Record<string, string> };
    expect(created.properties.hs_object_id).toBe(created.id);
    expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('100');
    const again = await fetch(`${emu.url}/crm/v3/objects/contacts`, { method: 'POST', headers: auth, body });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ status: 'error', message: `Contact already exists. Existing ID: ${created.id}`, category: 'CONFLICT' });
  });

  it('batch upsert creates and updates by email; search finds by EQ email; GET selects properties', async () => {
    emu = await startHubspotEmulator();
    const existing = emu.seed({ email: 'old@x.com', lifecyclestage: 'lead' });
    const inputs = [
      { idProperty: 'email', id: 'old@x.com', properties: { firstname: 'Old' } },
      { idProperty: 'email', id: 'new@x.com', properties: { firstname: 'New' } },
    ];
    const res = await fetch(`${emu.url}/crm/v3/objects/contacts/batch/upsert`, { method: 'POST', headers: auth, body: JSON.stringify({ inputs }) });
    expect(res.status).toBe(200);
    const batch = (await res.json()) as { status: string; results: Array<{ id: string; new: boolean }> };
    expect(batch.status).toBe('COMPLETE');
    expect(batch.results.map((r) => r.new)).toEqual([false, true]);
    expect(batch.results[0]!.id).toBe(existing.id);

    const search = { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'NEW@x.com' }] }], properties: ['email'], limit: 1 };
    const found = (await (await fetch(`${emu.url}/crm/v3/objects/contacts/search`, { method: 'POST', headers: auth, body: JSON.stringify(search) })).json()) as {
      total: number;
      results: Array<{ properties: Record<string, string> }>;
    };
    expect(found.total).toBe(1);
    expect(found.results[0]!.properties).toEqual({ email: 'new@x.com' });

    const got = await fetch(`${emu.url}/crm/v3/objects/contacts/old%40x.com?idProperty=email&properties=lifecyclestage`, { headers: auth });
    expect(((await got.json()) as { properties: Record<string, string> }).properties).toMatchObject({ lifecyclestage: 'lead', hs_object_id: existing.id });
  });

  it('rejects a backward stage with 400 under "reject", keeps it silently under "ignore"', async () => {
    for (const backwardStage of ['reject', 'ignore'] as const) {
      const e = await startHubspotEmulator({ backwardStage });
      const c = e.seed({ email: 'a@x.com', lifecyclestage: 'customer' });
      const res = await fetch(`${e.url}/crm/v3/objects/contacts/${c.id}`, {
        method: 'PATCH',
        headers: auth,
        body: JSON.stringify({ properties: { lifecyclestage: 'lead', firstname: 'A' } }),
      });
      expect(res.status).toBe(backwardStage === 'reject' ? 400 : 200);
      expect(c.properties.lifecyclestage).toBe('customer');
      expect(c.properties.firstname).toBe(backwardStage === 'reject' ? undefined : 'A'); // all-or-nothing
      await e.close();
    }
  });

  it('returns the real 404 body for an unknown email and 400 for invalid JSON', async () => {
    emu = await startHubspotEmulator();
    const nf = await fetch(`${emu.url}/crm/v3/objects/contacts/nobody%40x.com?idProperty=email`, { method: 'PATCH', headers: auth, body: '{"properties":{}}' });
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ status: 'error', message: 'resource not found' });
    const bad = await fetch(`${emu.url}/crm/v3/objects/contacts`, { method: 'POST', headers: auth, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ category: 'VALIDATION_ERROR' });
  });

  it('property definitions: POST 201 then 409 OBJECT_ALREADY_EXISTS (standard names too); GET 200/404', async () => {
    emu = await startHubspotEmulator();
    const def = { name: 'plan_tier', label: 'Plan tier', type: 'enumeration', fieldType: 'select', groupName: 'contactinformation', options: [{ label: 'Pro', value: 'pro', displayOrder: 0 }] };
    const post = (body: object) => fetch(`${emu!.url}/crm/v3/properties/contacts`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    const created = await post(def);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'plan_tier', label: 'Plan tier', type: 'enumeration', fieldType: 'select', options: [{ value: 'pro' }], hubspotDefined: false });
    for (const name of ['plan_tier', 'email', 'hs_lead_status']) {
      const again = await post({ ...def, name });
      expect(again.status).toBe(409);
      const body = (await again.json()) as Record<string, unknown>;
      expect(body).toEqual({ status: 'error', message: `Property named '${name}' already exists.`, correlationId: expect.any(String), category: 'OBJECT_ALREADY_EXISTS' });
    }
    expect((await post({ name: 'x' })).status).toBe(400);

    const get = (name: string) => fetch(`${emu!.url}/crm/v3/properties/contacts/${name}`, { headers: auth });
    expect(await (await get('plan_tier')).json()).toMatchObject({ name: 'plan_tier', options: [{ value: 'pro' }] });
    expect(await (await get('lifecyclestage')).json()).toMatchObject({ name: 'lifecyclestage', hubspotDefined: true, options: expect.arrayContaining([expect.objectContaining({ value: 'customer' })]) });
    const missing = await get('handoff_lifecycle');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
  });

  it('writing a property the account does not have → HubSpot’s 400 PROPERTY_DOESNT_EXIST, nothing written', async () => {
    emu = await startHubspotEmulator();
    const c = emu.seed({ email: 'a@x.com' });
    const attempts = [
      fetch(`${emu.url}/crm/v3/objects/contacts`, { method: 'POST', headers: auth, body: JSON.stringify({ properties: { email: 'b@x.com', handoff_lifecycle: 'paid' } }) }),
      fetch(`${emu.url}/crm/v3/objects/contacts/${c.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ properties: { firstname: 'A', handoff_lifecycle: 'paid' } }) }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(body).toEqual({
        status: 'error',
        message:
          'Property values were not valid: [{"isValid":false,"message":"Property \\"handoff_lifecycle\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"handoff_lifecycle"}]',
        correlationId: expect.any(String),
        category: 'VALIDATION_ERROR',
      });
    }
    expect(emu.contacts.size).toBe(1);
    expect(c.properties).not.toHaveProperty('firstname');

    const inputs = [{ idProperty: 'email', id: 'a@x.com', properties: { handoff_support: 'none' } }];
    const batch = await fetch(`${emu.url}/crm/v3/objects/contacts/batch/upsert`, { method: 'POST', headers: auth, body: JSON.stringify({ inputs }) });
    expect(batch.status).toBe(207);

    // Standard ones always exist; a defined one is accepted.
    const std = { email: 'a@x.com', firstname: 'A', lastname: 'B', phone: '1', company: 'C', lifecyclestage: 'lead', hs_lead_status: 'NEW' };
    expect((await fetch(`${emu.url}/crm/v3/objects/contacts/${c.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ properties: std }) })).status).toBe(200);
    const e2 = await startHubspotEmulator({ definedProperties: HANDOFF_PROPERTIES });
    const ok = await fetch(`${e2.url}/crm/v3/objects/contacts`, { method: 'POST', headers: auth, body: JSON.stringify({ properties: { email: 'b@x.com', handoff_lifecycle: 'paid' } }) });
    expect(ok.status).toBe(201);
    await e2.close();
  });

  it('schemaScope: "read" → 403 MISSING_SCOPES on creation only; "none" → on lookup too', async () => {
    for (const schemaScope of ['read', 'none'] as const) {
      const e = await startHubspotEmulator({ schemaScope, definedProperties: ['handoff_lifecycle'] });
      const res = await fetch(`${e.url}/crm/v3/properties/contacts`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'x', label: 'X', type: 'string', fieldType: 'text', groupName: 'contactinformation' }) });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ status: 'error', category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['crm.schemas.contacts.write'] } }] });
      const got = await fetch(`${e.url}/crm/v3/properties/contacts/handoff_lifecycle`, { headers: auth });
      expect(got.status).toBe(schemaScope === 'read' ? 200 : 403);
      expect(e.properties.has('x')).toBe(false);
      await e.close();
    }
  });

  it('close() ends a request held by a timeout fault', async () => {
    emu = await startHubspotEmulator();
    emu.faults.push({ kind: 'timeout' });
    const pending = fetch(`${emu.url}/crm/v3/objects/contacts/1`, { headers: auth }).then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 50));
    await emu.close();
    emu = undefined;
    expect(await pending).toBe('closed');
  });
});
