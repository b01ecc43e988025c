import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_LIFECYCLE_MAP } from '../../src/config/index.js';
import { createHubspotConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { contactProperties, existingIdFrom, stageToSend } from '../../src/connectors/hubspot/index.js';
import { ProviderError } from '../../src/errors.js';
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

const calls = (e: HubspotEmulator) => e.requests.map((r) => `${r.method} ${r.path}${r.fault ? ` (${r.fault})` : ''}`);
const sentStages = (e: HubspotEmulator) =>
  e.requests.map((r) => (r.body as { properties?: Record<string, unknown> } | undefined)?.properties?.lifecyclestage).filter((s) => s !== undefined);

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
      { status: 409, match: { method: 'POST' }, body: '{"status":"error","message":"Conflict","category":"CONFLICT"}' },
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
      expect(emu.requests).toHaveLength(patchEchoes === 'all' ? 1 : 2); // 'sent': one GET to learn the stage
    });

    it('a forward move is sent by id, after our state', async () => {
      const { emu, hs } = await setup({ patchEchoes });
      const c = emu.seed({ email: 'ada@example.com', lifecyclestage: 'lead' });
      await hs.run(job, customer({ lifecycle: 'paid' }), signal);
      expect(c.properties).toMatchObject({ lifecyclestage: 'customer', handoff_lifecycle: 'paid' });
      expect(calls(emu).at(-1)).toBe(`PATCH /crm/v3/objects/contacts/${c.id}`);
      expect(emu.requests.at(-1)?.body).toEqual({ properties: { lifecyclestage: 'customer' } });
      expect(emu.requests).toHaveLength(patchEchoes === 'all' ? 2 : 3);
    });
  });

  it('an unchanged stage costs one request when HubSpot echoes it', async () => {
    const { emu, hs } = await setup({ patchEchoes: 'all' });
    emu.seed({ email: 'ada@example.com', lifecyclestage: 'customer' });
    await hs.run(job, customer({ lifecycle: 'past_due' }), signal);
    expect(emu.requests).toHaveLength(1);
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
    expect((emu.requests[0]!.body as { properties: object }).properties).not.toHaveProperty('lastname');
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
    const { emu, hs } = await setup({ rateLimit: { max: 1, intervalMs: 60_000 } });
    emu.faults.push({ status: 503, retryAfter: 3 });
    expect(await failure(hs.run(job, customer(), signal))).toMatchObject({ httpStatus: 503, retryAfterMs: 3000 });
    await hs.run(job, customer(), signal).catch(() => undefined); // uses the one allowed request
    const limited = await failure(hs.run(job, customer(), signal));
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
