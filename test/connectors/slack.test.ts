import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createConnectors, createSlackConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { escapeMrkdwn } from '../../src/connectors/slack/index.js';
import { ProviderError } from '../../src/errors.js';
import { SLACK_WEBHOOK_PATH, startSlackEmulator, type SlackEmulator } from '../emulators/index.js';

const signal = new AbortController().signal;
const notify = (payload: Record<string, unknown>): JobToRun => ({ id: 7, connector: 'slack', kind: 'notify', idempotencyKey: 'sl:1', attempts: 0, payload });
const customer = (over: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({
  id: 'cus_1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  lifecycle: 'paid',
  support: 'none',
  identities: {},
  ...over,
});

let emu: SlackEmulator;
let slack: Connector;
beforeAll(async () => {
  emu = await startSlackEmulator();
  slack = createSlackConnector({ webhookUrl: emu.url }, { timeoutMs: 2000 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.messages.length = 0;
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('slack connector: notify', () => {
  it.each([
    ['new_paying_customer', { plan: 'pro', amount: 4900, currency: 'usd' }, 'New paying customer: ada@example.com (plan pro), 49.00 USD'],
    [
      'payment_failed',
      { amount: 4900, currency: 'usd', next_retry: '2026-12-01T10:00:00Z' },
      'Payment failed for ada@example.com: 49.00 USD, next retry 2026-12-01 10:00 UTC',
    ],
    ['payment_failed', { amount_due: 1500, currency: 'jpy', next_payment_attempt: null }, 'Payment failed for ada@example.com: 1500 JPY, no further retries'],
    ['payment_failed', { amount: 999, currency: 'eur', next_payment_attempt: 1796119200 }, 'Payment failed for ada@example.com: 9.99 EUR, next retry 2026-12-01 10:00 UTC'],
    ['churned', { plan: 'pro', reason: 'too expensive' }, 'Customer churned: ada@example.com (plan pro) — too expensive'],
    ['refund', { amount_refunded: 2500, currency: 'gbp', refunded: false }, 'Refund for ada@example.com: 25.00 GBP (partial)'],
    ['refund', { amount: 4900, currency: 'usd', full: true }, 'Refund for ada@example.com: 49.00 USD (full)'],
  ])('%s → "%s"', async (template, facts, text) => {
    const r = await slack.run(notify({ template, facts }), customer(), signal);
    expect(r).toMatchObject({ status: 'done', result: { template, response: 'ok' } });
    expect(emu.messages).toHaveLength(1);
    expect(emu.messages[0]!.text).toBe(text);
    expect(emu.messages[0]!.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Handoff · customer cus_1 · paid' }] },
    ]);
  });

  it('falls back to the name, then the customer id, when there is no email', async () => {
    await slack.run(notify({ template: 'churned', facts: {} }), customer({ email: null }), signal);
    await slack.run(notify({ template: 'churned' }), customer({ email: null, name: null }), signal);
    expect(emu.messages.map((m) => m.text)).toEqual(['Customer churned: Ada Lovelace', 'Customer churned: customer cus_1']);
  });

  it('escapes mrkdwn control characters in every outside value', async () => {
    const evil = customer({ email: null, name: '<!channel> & <https://evil.example|click me>' });
    await slack.run(notify({ template: 'churned', facts: { plan: '<b>pro</b>', reason: 'a > b & c' } }), evil, signal);
    const text = emu.messages[0]!.text!;
    expect(text).toBe(
      'Customer churned: &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt; (plan &lt;b&gt;pro&lt;/b&gt;) — a &gt; b &amp; c',
    );
    expect(JSON.stringify(emu.messages[0])).not.toMatch(/<!channel>|<https:/);
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;'); // & first, so nothing is double-decoded
  });

  it.each([
    [400, 'invalid_payload', undefined],
    [403, 'action_prohibited', 'gone'],
    [404, 'channel_not_found', 'gone'],
    [404, 'no_service', 'gone'],
    [410, 'channel_is_archived', 'gone'],
  ])('HTTP %d %s → ProviderError carrying the status (halt: %s); the webhook URL is not in the message', async (status, body, halt) => {
    emu.faults.push({ status, body });
    const err = await failure(slack.run(notify({ template: 'churned' }), customer(), signal));
    expect(err).toMatchObject({ provider: 'slack', kind: 'http', httpStatus: status, retryAfterMs: undefined });
    expect(err.message.startsWith(`slack POST → HTTP ${status}: ${body}`)).toBe(true);
    // A revoked webhook halts the connector (every alert waits for a new URL); a bad payload is this message's own.
    expect(err.halt).toEqual(halt ? { reason: 'gone', variable: 'SLACK_WEBHOOK_URL' } : undefined);
    expect(err.message).not.toContain(SLACK_WEBHOOK_PATH);
    expect(emu.messages).toHaveLength(0);
  });

  it('429 carries Retry-After', async () => {
    emu.faults.push({ status: 429, retryAfter: 2 });
    const err = await failure(slack.run(notify({ template: 'churned' }), customer(), signal));
    expect(err).toMatchObject({ httpStatus: 429, retryAfterMs: 2000 });
    expect(err.message).toContain('rate_limited');
  });

  it('a payload with an unknown template is a bug: thrown before any request', async () => {
    const before = emu.requests.length;
    await expect(slack.run(notify({ template: 'party', facts: {} }), customer(), signal)).rejects.toThrow(/payload.template must be one of/);
    await expect(slack.run(notify({ template: 'churned', facts: [] }), customer(), signal)).rejects.toThrow(/facts must be an object/);
    expect(emu.requests.length).toBe(before);
  });
});

describe('slack emulator', () => {
  it('answers invalid JSON with 400 invalid_payload, and unknown paths with 404 no_service', async () => {
    const bad = await fetch(emu.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('invalid_payload');
    const empty = await fetch(emu.url, { method: 'POST', body: '{}' });
    expect([empty.status, await empty.text()]).toEqual([400, 'invalid_payload']);
    const wrong = await fetch(`${emu.origin}/services/T0/B0/wrong`, { method: 'POST', body: '{"text":"x"}' });
    expect([wrong.status, await wrong.text()]).toEqual([404, 'no_service']);
    expect(emu.messages).toHaveLength(0);
  });
});

describe('createConnectors', () => {
  it('contains only the enabled connectors', () => {
    const none = createConnectors(loadConfig({}));
    expect([...none.keys()]).toEqual([]);
    const slackOnly = createConnectors(loadConfig({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' }));
    expect([...slackOnly.keys()]).toEqual(['slack']);
    const both = createConnectors(loadConfig({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', HUBSPOT_ACCESS_TOKEN: 'pat-x' }));
    expect([...both.keys()].sort()).toEqual(['hubspot', 'slack']);
    expect(both.get('hubspot')?.name).toBe('hubspot');
  });
});
