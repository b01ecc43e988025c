import { mkdtempSync, readdirSync, copyFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createConnectors, createEmailConnector, type Connector, type CustomerSnapshot, type JobToRun } from '../../src/connectors/index.js';
import { formatLongDate, formatMoney, headerKey, SHIPPED_TEMPLATES_DIR, senderName } from '../../src/connectors/email/index.js';
import { isRetryable } from '../../src/dispatcher/retry-policy.js';
import { ConfigError, ProviderError } from '../../src/errors.js';
import { RESEND_TEST_KEY, startResendEmulator, type ResendEmulator } from '../emulators/index.js';

const signal = new AbortController().signal;
const FROM = 'Acme <billing@acme.test>';
let seq = 0;
const send = (payload: Record<string, unknown>, key = `email_test:${++seq}`): JobToRun => ({ id: seq, connector: 'email', kind: 'send', idempotencyKey: key, attempts: 0, payload });
const customer = (over: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({
  id: 'cus_1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  lifecycle: 'past_due',
  support: 'none',
  identities: {},
  ...over,
});
const failedFacts = {
  invoice_id: 'in_1',
  amount_due: 4900,
  currency: 'usd',
  attempt_count: 1,
  next_payment_attempt: '2026-03-03T10:00:00.000Z',
  hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1/test_abc?s=ap',
};

let emu: ResendEmulator;
let email: Connector;
const connector = (over: { apiKey?: string; from?: string; templatesDir?: string } = {}) =>
  createEmailConnector({ apiKey: RESEND_TEST_KEY, baseUrl: emu.url, from: FROM, ...over }, { timeoutMs: 2000 });

beforeAll(async () => {
  emu = await startResendEmulator();
  email = connector();
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.emails.length = 0;
  emu.requests.length = 0;
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('email connector: send', () => {
  it('payment_failed: one email with the retry date in plain English, the amount and the invoice link; Idempotency-Key = job key', async () => {
    const job = send({ template: 'payment_failed', facts: failedFacts, requires: { lifecycle: ['past_due'] } }, 'email_payment_failed:stripe:evt_1');
    const r = await email.run(job, customer(), signal);
    expect(emu.emails).toHaveLength(1);
    const sent = emu.emails[0]!;
    expect(r).toEqual({ status: 'done', result: { email_id: sent.id, template: 'payment_failed' }, note: `Email "We couldn't take your payment of $49.00" sent` });
    expect(sent).toMatchObject({ from: FROM, to: ['ada@example.com'], subject: "We couldn't take your payment of $49.00", idempotencyKey: 'email_payment_failed:stripe:evt_1' });
    expect(sent.text).toContain('Hi Ada,');
    expect(sent.text).toContain("We'll try again automatically on Tuesday, 3 March 2026.");
    expect(sent.text).toContain('https://invoice.stripe.com/i/acct_1/test_abc?s=ap');
    expect(sent.text).not.toMatch(/{{|}}|&#x2F;/); // fully rendered, and plain text is not HTML-escaped
    expect(sent.html).toContain('<strong>Tuesday, 3 March 2026</strong>');
    expect(sent.html).toContain('href="https:&#x2F;&#x2F;invoice.stripe.com&#x2F;i&#x2F;acct_1&#x2F;test_abc?s&#x3D;ap"');
    expect(emu.requests[0]!.headers.authorization).toBe(`Bearer ${RESEND_TEST_KEY}`);
  });

  it('payment_failed with next_payment_attempt null says Stripe will not retry; no invoice link when none is known', async () => {
    await email.run(send({ template: 'payment_failed', facts: { amount_due: 1500, currency: 'jpy', next_payment_attempt: null } }), customer({ name: null }), signal);
    const sent = emu.emails[0]!;
    expect(sent.subject).toBe("We couldn't take your payment of ¥1,500");
    expect(sent.text).toContain('Hi there,');
    expect(sent.text).toContain("We won't retry this payment automatically");
    expect(sent.text).not.toContain('try again automatically');
    expect(sent.text).not.toContain('invoice');
    expect(sent.html).not.toContain('<a ');
    expect(sent.text).not.toMatch(/\n{3,}/);
  });

  it('trial_ending names the day the trial ends', async () => {
    const r = await email.run(send({ template: 'trial_ending', facts: { subscription_id: 'sub_1', status: 'trialing', trial_end: '2026-12-01T09:30:00.000Z' } }), customer({ lifecycle: 'trial' }), signal);
    expect(r).toMatchObject({ status: 'done', note: 'Email "Your trial ends on Tuesday, 1 December 2026" sent' });
    expect(emu.emails[0]!.text).toContain('your free trial ends on Tuesday, 1 December 2026.');
    expect(emu.emails[0]!.text).toContain('The Acme team');
  });

  it('support_confirmation quotes the request and the ticket number (facts from the Zendesk job)', async () => {
    const facts = { escalation_id: 'esc_9', subject: 'Cannot export my chats', ticket_id: 42 };
    const r = await email.run(send({ template: 'support_confirmation', facts }), customer({ lifecycle: 'paid', support: 'needs_support' }), signal);
    expect(r).toMatchObject({ status: 'done', note: 'Email "We got your request (ticket #42)" sent' });
    expect(emu.emails[0]!.text).toContain(`We've got your request "Cannot export my chats" and it's now ticket #42.`);
    expect(emu.emails[0]!.html).toContain('<strong>ticket #42</strong>');
  });

  it('an alert email (no customer) goes to payload.to only, escaped in HTML; without payload.to it is a bug, not a send', async () => {
    const facts = { title: 'Dead-lettered jobs', summary: '1 job gave up: <slack> 1', action: 'handoff jobs retry --all-dead', rule: 'dead_letter', incident_id: 7, opened_at: '2026-11-27T10:00:00.000Z' };
    const r = await email.run(send({ template: 'alert_opened', to: ['founder@acme.test'], facts }), null, signal);
    expect(r).toMatchObject({ status: 'done', note: 'Email "[Handoff alert] Dead-lettered jobs" sent' });
    expect(emu.emails[0]!.to).toEqual(['founder@acme.test']);
    expect(emu.emails[0]!.text).toContain('What to do: handoff jobs retry --all-dead');
    expect(emu.emails[0]!.html).toContain('1 job gave up: &lt;slack&gt; 1');
    await expect(email.run(send({ template: 'alert_resolved', facts }), null, signal)).rejects.toThrow(/needs payload.to/);
    // A customer email never goes to payload.to.
    await email.run(send({ template: 'trial_ending', to: ['attacker@evil.test'], facts: { trial_end: '2026-12-01T00:00:00Z' } }), customer(), signal);
    expect(emu.emails[1]!.to).toEqual(['ada@example.com']);
  });

  it('support_confirmation is skipped when the message only joined an open ticket (one confirmation per ticket)', async () => {
    const facts = { escalation_id: 'esc_9', ticket_id: 42, ticket_action: 'commented' };
    const r = await email.run(send({ template: 'support_confirmation', facts }), customer({ support: 'needs_support' }), signal);
    expect(r).toEqual({ status: 'skipped', reason: 'ticket #42 already existed: the customer was confirmed when it was opened' });
    expect(emu.emails).toHaveLength(0);
    // A ticket this very job created (or found after a lost answer) is confirmed.
    for (const ticket_action of ['created', 'already']) {
      expect(await email.run(send({ template: 'support_confirmation', facts: { ...facts, ticket_action } }, `k-${ticket_action}`), customer(), signal)).toMatchObject({ status: 'done' });
    }
    expect(emu.emails).toHaveLength(2);
  });

  it('escapes every value in the HTML part (not in the text part) and never links a non-https URL', async () => {
    const evil = customer({ name: '<script>alert(1)</script> Mallory' });
    const facts = { ticket_id: '7"><img src=x onerror=alert(1)>', subject: '<b>bold</b> & "quoted"' };
    await email.run(send({ template: 'support_confirmation', facts }), evil, signal);
    const sent = emu.emails[0]!;
    expect(sent.html).not.toMatch(/<script|<img|<b>/);
    expect(sent.html).toContain('&lt;b&gt;bold&lt;&#x2F;b&gt; &amp; &quot;quoted&quot;');
    expect(sent.html).toContain('Hi &lt;script&gt;alert(1)&lt;&#x2F;script&gt;,');
    expect(sent.text).toContain('"<b>bold</b> & "quoted""');
    await email.run(send({ template: 'payment_failed', facts: { ...failedFacts, hosted_invoice_url: 'javascript:alert(1)' } }), customer(), signal);
    expect(emu.emails[1]!.html).not.toContain('javascript');
    expect(emu.emails[1]!.html).not.toContain('<a ');
  });

  it('a customer without an email is skipped with the reason, and Resend is not called', async () => {
    const r = await email.run(send({ template: 'payment_failed', facts: failedFacts }), customer({ email: null }), signal);
    expect(r).toEqual({ status: 'skipped', reason: 'customer has no email address' });
    expect(emu.requests).toHaveLength(0);
  });

  it('running the same job again (a retry after a lost answer) sends nothing more: Resend replays the first id', async () => {
    const job = send({ template: 'trial_ending', facts: { trial_end: '2026-12-01T00:00:00Z' } });
    const first = await email.run(job, customer({ lifecycle: 'trial' }), signal);
    const again = await email.run({ ...job, attempts: 1 }, customer({ lifecycle: 'trial' }), signal);
    expect(emu.requests).toHaveLength(2);
    expect(emu.emails).toHaveLength(1);
    expect(again).toEqual(first);
  });

  it('an unsafe job key becomes a stable hashed Idempotency-Key', async () => {
    const key = `email_support_confirmation:app:${'é'.repeat(10)}\n`;
    await email.run(send({ template: 'support_confirmation', facts: { ticket_id: 1 } }, key), customer(), signal);
    expect(emu.emails[0]!.idempotencyKey).toBe(headerKey(key));
    expect(headerKey(key)).toMatch(/^h_[0-9a-f]{64}$/);
    expect(headerKey('email_payment_failed:stripe:evt_1')).toBe('email_payment_failed:stripe:evt_1');
    expect(headerKey('x'.repeat(257))).toMatch(/^h_/);
  });
});

describe('email connector: Resend errors', () => {
  it('401 (no/empty key) and 403 invalid_api_key halt the connector naming RESEND_API_KEY; the key is never in the message', async () => {
    const wrongKey = 're_wrong_key_9876543210abcdef';
    const err = await failure(connector({ apiKey: wrongKey }).run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal));
    expect(err).toMatchObject({ provider: 'email', kind: 'http', httpStatus: 403, halt: { reason: 'credentials', variable: 'RESEND_API_KEY' } });
    expect(err.message).toContain('invalid_api_key');
    expect(err.message).not.toContain(wrongKey);
    emu.faults.push({ status: 401 });
    const missing = await failure(email.run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal));
    expect(missing).toMatchObject({ httpStatus: 401, halt: { reason: 'credentials', variable: 'RESEND_API_KEY' } });
    expect(missing.message).toMatch(/missing_api_key.*check RESEND_API_KEY/);
    expect(emu.emails).toHaveLength(0);
  });

  it('403 validation_error (sending domain not verified) halts the connector naming EMAIL_FROM', async () => {
    const body = JSON.stringify({ statusCode: 403, name: 'validation_error', message: 'The acme.test domain is not verified. Please, add and verify your domain.' });
    emu.faults.push({ status: 403, body });
    const err = await failure(email.run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal));
    expect(err).toMatchObject({ httpStatus: 403, halt: { reason: 'credentials', variable: 'EMAIL_FROM' } });
    expect(err.message).toContain('verify the sending domain of EMAIL_FROM');
  });

  it('409 invalid_idempotent_request (same key, different email) is permanent and says the first was likely sent', async () => {
    const job = send({ template: 'payment_failed', facts: failedFacts });
    await email.run(job, customer(), signal);
    const err = await failure(email.run(job, customer({ email: 'new-address@example.com' }), signal));
    expect(err).toMatchObject({ provider: 'email', kind: 'protocol', httpStatus: 409 });
    expect(err.message).toMatch(/invalid_idempotent_request.*most likely sent already/);
    expect(isRetryable(err)).toBe(false);
    expect(emu.emails).toHaveLength(1);
  });

  it('409 concurrent_idempotent_requests is retryable', async () => {
    emu.faults.push({ status: 409 });
    const err = await failure(email.run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal));
    expect(err).toMatchObject({ kind: 'http', httpStatus: 409, halt: undefined });
    expect(err.message).toContain('concurrent_idempotent_requests');
    expect(isRetryable(err)).toBe(true);
  });

  it('422 is permanent; 429 is retried after retry-after; 5xx and timeouts are retried', async () => {
    const run = () => email.run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal);
    emu.faults.push({ status: 422 });
    const invalid = await failure(run());
    expect([invalid.httpStatus, isRetryable(invalid), invalid.halt]).toEqual([422, false, undefined]);
    emu.faults.push({ status: 429, retryAfter: 3 });
    const limited = await failure(run());
    expect([limited.httpStatus, limited.retryAfterMs, isRetryable(limited)]).toEqual([429, 3000, true]);
    expect(limited.message).toContain('Too many requests');
    emu.faults.push({ status: 500 });
    expect(isRetryable(await failure(run()))).toBe(true);
    emu.faults.push({ kind: 'timeout' });
    const slow = await failure(createEmailConnector({ apiKey: RESEND_TEST_KEY, baseUrl: emu.url, from: FROM }, { timeoutMs: 200 }).run(send({ template: 'payment_failed', facts: failedFacts }), customer(), signal));
    expect([slow.kind, isRetryable(slow)]).toEqual(['timeout', true]);
    expect(emu.emails).toHaveLength(0);
  });

  it('a payload naming an unknown template or kind is a bug: thrown before any request', async () => {
    await expect(email.run(send({ template: 'newsletter', facts: {} }), customer(), signal)).rejects.toThrow(/payload.template must be one of payment_failed, trial_ending, support_confirmation/);
    await expect(email.run(send({ template: 'trial_ending', facts: 'x' }), customer(), signal)).rejects.toThrow(/facts must be an object/);
    await expect(email.run({ ...send({ template: 'trial_ending' }), kind: 'blast' }, customer(), signal)).rejects.toThrow(/unknown job kind "blast"/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('email templates', () => {
  const dirs: string[] = [];
  const copyShipped = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'handoff-templates-'));
    dirs.push(dir);
    for (const f of readdirSync(SHIPPED_TEMPLATES_DIR)) copyFileSync(path.join(SHIPPED_TEMPLATES_DIR, f), path.join(dir, f));
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('the shipped folder is the package root templates/email, with all three parts of each template', () => {
    expect(SHIPPED_TEMPLATES_DIR.replace(/[\\/]+$/, '')).toBe(path.resolve(import.meta.dirname, '../../templates/email'));
    expect(readdirSync(SHIPPED_TEMPLATES_DIR).sort()).toEqual(
      ['payment_failed', 'support_confirmation', 'trial_ending', 'alert_opened', 'alert_resolved'].flatMap((t) => [`${t}.html`, `${t}.subject`, `${t}.txt`]).sort(),
    );
  });

  it('EMAIL_TEMPLATES_DIR replaces the shipped wording (a founder edits a file)', async () => {
    const dir = copyShipped();
    writeFileSync(path.join(dir, 'trial_ending.subject'), '{{greeting_name}}, {{trial_end_date}} is close\n');
    const custom = connector({ templatesDir: dir });
    await custom.run(send({ template: 'trial_ending', facts: { trial_end: '2026-12-01T00:00:00Z' } }), customer({ lifecycle: 'trial' }), signal);
    expect(emu.emails[0]!.subject).toBe('Ada, Tuesday, 1 December 2026 is close');
  });

  it('a missing, empty or malformed file in the configured folder stops start-up with every problem listed', () => {
    const dir = copyShipped();
    unlinkSync(path.join(dir, 'payment_failed.html'));
    writeFileSync(path.join(dir, 'trial_ending.subject'), '  \n');
    writeFileSync(path.join(dir, 'support_confirmation.txt'), 'Hi {{#name}}{{name}}\n');
    const env = { RESEND_API_KEY: RESEND_TEST_KEY, EMAIL_FROM: FROM, RESEND_BASE_URL: emu.url, EMAIL_TEMPLATES_DIR: dir };
    let err: unknown;
    try {
      createConnectors(loadConfig(env));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(`EMAIL_TEMPLATES_DIR: ${path.join(dir, 'payment_failed.html')} is missing`);
    expect(problems[1]).toBe(`EMAIL_TEMPLATES_DIR: ${path.join(dir, 'trial_ending.subject')} is empty`);
    expect(problems[2]).toMatch(/support_confirmation\.txt is not a valid Mustache template \(Unclosed section "name"/);
  });

  it('an EMAIL_FROM that is not an address stops start-up', () => {
    expect(() => connector({ from: 'Acme Billing' })).toThrow(ConfigError);
    expect(() => connector({ from: 'Acme <billing@acme>' })).toThrow(/EMAIL_FROM: must be an address or "Name <address>"/);
    expect(connector({ from: 'billing@acme.test' }).name).toBe('email');
  });

  it('a subject that renders empty is an error, not an email without a subject', async () => {
    const dir = copyShipped();
    writeFileSync(path.join(dir, 'trial_ending.subject'), '{{#trial_end_date}}Ends {{trial_end_date}}{{/trial_end_date}}');
    await expect(connector({ templatesDir: dir }).run(send({ template: 'trial_ending', facts: {} }), customer(), signal)).rejects.toThrow(/subject rendered empty/);
    expect(emu.requests).toHaveLength(0);
  });

  it('formats dates in plain English UTC and amounts with their currency', () => {
    expect(formatLongDate('2026-03-03T23:59:59Z')).toBe('Tuesday, 3 March 2026');
    expect(formatLongDate('2026-03-03T23:59:59-05:00')).toBe('Wednesday, 4 March 2026'); // UTC day
    expect(formatLongDate(1_796_119_200)).toBe('Tuesday, 1 December 2026');
    expect(formatLongDate('soon')).toBeUndefined();
    expect(formatLongDate(null)).toBeUndefined();
    expect(formatMoney(4900, 'usd')).toBe('$49.00');
    expect(formatMoney(999, 'EUR')).toBe('€9.99');
    expect(formatMoney(1500, 'jpy')).toBe('¥1,500');
    expect(formatMoney(1250, 'cad')).toBe('CA$12.50');
    expect(formatMoney(4900, 'not-a-code')).toBe('4900 NOT-A-CODE');
    expect(formatMoney(4900, null)).toBeUndefined();
    expect(senderName('Acme Billing <billing@acme.com>')).toBe('Acme Billing');
    expect(senderName('"Acme" <billing@acme.com>')).toBe('Acme');
    expect(senderName('billing@acme.com')).toBeUndefined();
  });
});

describe('resend emulator', () => {
  it('validates like Resend: 422 for missing fields and bad addresses, 400 for an oversized key, GET /emails/:id', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${emu.url}/emails`, { method: 'POST', headers: { authorization: `Bearer ${RESEND_TEST_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const noSubject = await post({ from: FROM, to: ['a@x.co'], text: 'x' });
    expect([noSubject.status, ((await noSubject.json()) as { name: string }).name]).toEqual([422, 'missing_required_field']);
    const badTo = await post({ from: FROM, to: ['not-an-address'], subject: 's', text: 'x' });
    expect([badTo.status, ((await badTo.json()) as { name: string }).name]).toEqual([422, 'validation_error']);
    const longKey = await post({ from: FROM, to: 'a@x.co', subject: 's', text: 'x' }, { 'idempotency-key': 'k'.repeat(257) });
    expect(longKey.status).toBe(400);
    const ok = await post({ from: FROM, to: 'a@x.co', subject: 's', text: 'x' });
    const { id } = (await ok.json()) as { id: string };
    const got = await fetch(`${emu.url}/emails/${id}`, { headers: { authorization: `Bearer ${RESEND_TEST_KEY}` } });
    expect(await got.json()).toMatchObject({ object: 'email', id, to: ['a@x.co'], subject: 's', text: 'x' });
    expect(emu.sentTo('A@X.CO')).toHaveLength(1);
  });
});
