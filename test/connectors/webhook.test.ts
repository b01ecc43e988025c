import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config/index.js';
import { createConnectors, createWebhookConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { webhookId } from '../../src/connectors/webhook/index.js';
import { isRetryable } from '../../src/dispatcher/retry-policy.js';
import { ConfigError, ProviderError } from '../../src/errors.js';
import { OUTBOUND_TEST_SECRET, startWebhookReceiver, WEBHOOK_RECEIVER_PATH, type WebhookReceiver } from '../emulators/index.js';

const signal = new AbortController().signal;
const customer: CustomerSnapshot = { id: 'c_1', email: 'ada@example.com', name: null, lifecycle: 'paid', support: 'none', identities: {} };
const message = {
  type: 'customer.updated',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {
    customer_id: 'c_1',
    email: 'ada@example.com',
    lifecycle: { from: 'trial', to: 'paid' },
    support: { from: 'none', to: 'none' },
    rule: 'first_payment',
    cause: { source: 'stripe', event_id: 'evt_1', type: 'invoice.paid' },
    occurred_at: '2026-01-01T00:00:00.000Z',
  },
};
const deliver = (key = 'webhook:stripe:evt_1', payload: Record<string, unknown> = message): JobToRun => ({ id: 1, connector: 'webhook', kind: 'deliver', idempotencyKey: key, attempts: 0, payload });

let rx: WebhookReceiver;
let hook: Connector;
beforeAll(async () => {
  rx = await startWebhookReceiver();
  hook = createWebhookConnector({ url: rx.url, secret: OUTBOUND_TEST_SECRET }, { timeoutMs: 2000 });
});
afterAll(() => rx.close());
afterEach(() => {
  rx.faults.clear();
  rx.requests.length = 0;
  rx.delivered.length = 0;
  rx.rejected.length = 0;
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const flat = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));

describe('webhook connector: deliver', () => {
  it('posts a Standard Webhooks message that the receiver verifies with the standardwebhooks package', async () => {
    const r = await hook.run(deliver(), customer, signal);
    expect(r).toEqual({
      status: 'done',
      result: { webhook_id: 'webhook:stripe:evt_1', type: 'customer.updated', http_status: 200 },
      note: 'Outbound webhook customer.updated delivered',
    });
    expect(rx.rejected).toEqual([]);
    expect(rx.delivered).toHaveLength(1);
    const got = rx.delivered[0]!;
    expect(got).toMatchObject({ id: 'webhook:stripe:evt_1', type: 'customer.updated', occurredAt: '2026-01-01T00:00:00.000Z', data: message.data });
    expect(JSON.parse(got.raw)).toEqual(message); // exactly {type, timestamp, data}
    expect(Math.abs(got.timestamp - Date.now() / 1000)).toBeLessThan(60); // signed at send time
    const h = rx.requests[0]!.headers;
    expect(h['content-type']).toBe('application/json');
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('a retry after 503 carries the same webhook-id and the same bytes, and both attempts verify', async () => {
    rx.faults.push({ status: 503 });
    const err = await failure(hook.run(deliver('webhook:app:evt_retry'), customer, signal));
    expect([err.httpStatus, isRetryable(err), err.halt]).toEqual([503, true, undefined]);
    expect(rx.delivered).toHaveLength(0);
    await hook.run({ ...deliver('webhook:app:evt_retry'), attempts: 1 }, customer, signal);
    const [first, second] = rx.requests;
    expect(first!.fault).toBe('503');
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(JSON.stringify(second!.body)).toBe(JSON.stringify(first!.body));
    // The faulted attempt was signed correctly too: a receiver that was up would have accepted it.
    const rawFirst = JSON.stringify(first!.body);
    expect(new Webhook(OUTBOUND_TEST_SECRET).verify(rawFirst, flat(first!.headers))).toEqual(message);
    expect(rx.unique()).toHaveLength(1);
  });

  it('a receiver with another secret rejects the delivery: the signature is real (400 → permanent)', async () => {
    const other = createWebhookConnector({ url: rx.url, secret: `whsec_${Buffer.from('some-other-secret-0123456789').toString('base64')}` }, { timeoutMs: 2000 });
    const err = await failure(other.run(deliver(), customer, signal));
    expect([err.httpStatus, isRetryable(err)]).toEqual([400, false]);
    expect(rx.rejected.map((r) => r.reason)).toEqual(['No matching signature found']);
    expect(rx.delivered).toHaveLength(0);
  });

  it('410 Gone halts the connector (reason gone, OUTBOUND_WEBHOOK_URL); the URL is never in the message', async () => {
    rx.faults.push({ status: 410 });
    const err = await failure(hook.run(deliver(), customer, signal));
    expect(err).toMatchObject({ provider: 'webhook', kind: 'http', httpStatus: 410, halt: { reason: 'gone', variable: 'OUTBOUND_WEBHOOK_URL' } });
    expect(err.message).not.toContain(WEBHOOK_RECEIVER_PATH);
    expect(err.message).not.toContain(rx.origin);
  });

  it.each([
    [400, false],
    [401, false],
    [404, false],
    [408, true],
    [409, true],
    [425, true],
    [429, true],
    [500, true],
    [502, true],
  ])('HTTP %d → retryable %s', async (status, retryable) => {
    rx.faults.push({ status, retryAfter: status === 429 ? 7 : undefined });
    const err = await failure(hook.run(deliver(), customer, signal));
    expect([err.httpStatus, isRetryable(err), err.halt]).toEqual([status, retryable, undefined]);
    if (status === 429) expect(err.retryAfterMs).toBe(7000);
    expect(err.message).not.toContain(WEBHOOK_RECEIVER_PATH);
  });

  it('a receiver that hangs is a retryable timeout', async () => {
    rx.faults.push({ kind: 'timeout' });
    const quick = createWebhookConnector({ url: rx.url, secret: OUTBOUND_TEST_SECRET }, { timeoutMs: 200 });
    const err = await failure(quick.run(deliver(), customer, signal));
    expect([err.kind, isRetryable(err)]).toEqual(['timeout', true]);
  });

  it('an unsafe job key becomes a stable hashed webhook-id', async () => {
    const key = 'webhook:app:évènement 1';
    await hook.run(deliver(key), customer, signal);
    await hook.run(deliver(key), customer, signal);
    expect(rx.delivered.map((d) => d.id)).toEqual([webhookId(key), webhookId(key)]);
    expect(webhookId(key)).toMatch(/^h_[0-9a-f]{64}$/);
    expect(rx.unique()).toHaveLength(1);
  });

  it('a malformed payload or kind is a bug: thrown before any request', async () => {
    await expect(hook.run(deliver('k', { ...message, type: '' }), customer, signal)).rejects.toThrow(/payload.type/);
    await expect(hook.run(deliver('k', { ...message, timestamp: 'later' }), customer, signal)).rejects.toThrow(/payload.timestamp/);
    await expect(hook.run(deliver('k', { ...message, data: [] }), customer, signal)).rejects.toThrow(/payload.data/);
    await expect(hook.run({ ...deliver(), kind: 'send' }, customer, signal)).rejects.toThrow(/unknown job kind "send"/);
    expect(rx.requests).toHaveLength(0);
  });

  it('a secret that is not whsec_ + base64 fails at start-up with a ConfigError', () => {
    const env = { OUTBOUND_WEBHOOK_URL: 'https://hooks.example.com/x', OUTBOUND_WEBHOOK_SECRET: 'whsec_not base64!' };
    expect(() => createConnectors(loadConfig(env))).toThrow(ConfigError);
    expect(() => createConnectors(loadConfig(env))).toThrow(/OUTBOUND_WEBHOOK_SECRET: must be whsec_ followed by a base64 key/);
    const ok = createConnectors(loadConfig({ ...env, OUTBOUND_WEBHOOK_SECRET: OUTBOUND_TEST_SECRET }));
    expect(ok.get('webhook')?.name).toBe('webhook');
  });
});
