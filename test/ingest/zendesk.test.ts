import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '../../src/errors.js';
import { verifyZendesk, ZENDESK_TOLERANCE_SECONDS } from '../../src/ingest/index.js';
import { signZendeskWebhook } from '../emulators/index.js';

const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const body = '{"type":"zen:event-type:ticket.status_changed","id":"e1"}';
const at = new Date('2026-03-01T12:00:00Z');
const now = at.getTime();
const headerOf = (h: Record<string, string>) => (n: string) => h[n.toLowerCase()];

function refused(fn: () => unknown): SignatureError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SignatureError);
    return e as SignatureError;
  }
  throw new Error('expected a SignatureError');
}

describe('verifyZendesk', () => {
  it('accepts base64 HMAC-SHA256 of timestamp + body keyed with the secret text (Zendesk\'s documented scheme)', () => {
    const h = signZendeskWebhook(body, SECRET, at);
    expect(h['x-zendesk-webhook-signature-timestamp']).toBe('2026-03-01T12:00:00Z');
    // Independently: the documented formula, computed here.
    expect(h['x-zendesk-webhook-signature']).toBe(createHmac('sha256', SECRET).update(`2026-03-01T12:00:00Z${body}`).digest('base64'));
    const d = verifyZendesk(body, headerOf(h), SECRET, now);
    expect(d).toEqual({ payload: JSON.parse(body), signedAt: at });
  });

  it('accepts a Unix-seconds timestamp and clock skew inside the tolerance, either way', () => {
    const ts = String(now / 1000);
    const sig = createHmac('sha256', SECRET).update(ts + body).digest('base64');
    expect(verifyZendesk(body, headerOf({ 'x-zendesk-webhook-signature': sig, 'x-zendesk-webhook-signature-timestamp': ts }), SECRET, now + 299_000).signedAt).toEqual(at);
    expect(() => verifyZendesk(body, headerOf(signZendeskWebhook(body, SECRET, at)), SECRET, now - 299_000)).not.toThrow();
  });

  it.each([
    ['no secret configured', () => verifyZendesk(body, headerOf(signZendeskWebhook(body, SECRET, at)), undefined, now), /set ZENDESK_WEBHOOK_SECRET/],
    ['no signature header', () => verifyZendesk(body, headerOf({ 'x-zendesk-webhook-signature-timestamp': '2026-03-01T12:00:00Z' }), SECRET, now), /missing/],
    ['no timestamp header', () => verifyZendesk(body, headerOf({ 'x-zendesk-webhook-signature': 'abc=' }), SECRET, now), /missing/],
    ['a wrong secret', () => verifyZendesk(body, headerOf(signZendeskWebhook(body, 'another-secret', at)), SECRET, now), /does not match/],
    ['a changed body', () => verifyZendesk(body.replace('e1', 'e2'), headerOf(signZendeskWebhook(body, SECRET, at)), SECRET, now), /does not match/],
    [
      'a changed timestamp',
      () => verifyZendesk(body, headerOf({ ...signZendeskWebhook(body, SECRET, at), 'x-zendesk-webhook-signature-timestamp': '2026-03-01T12:00:01Z' }), SECRET, now),
      /does not match/,
    ],
    ['a signature that is not base64', () => verifyZendesk(body, headerOf({ ...signZendeskWebhook(body, SECRET, at), 'x-zendesk-webhook-signature': '!!!' }), SECRET, now), /does not match/],
    ['a stale delivery (6 minutes old)', () => verifyZendesk(body, headerOf(signZendeskWebhook(body, SECRET, at)), SECRET, now + 360_000), /away from our clock/],
    ['a delivery from the future (6 minutes ahead)', () => verifyZendesk(body, headerOf(signZendeskWebhook(body, SECRET, at)), SECRET, now - 360_000), /away from our clock/],
    [
      'a correctly signed but unparseable timestamp',
      () => {
        const ts = 'yesterday';
        return verifyZendesk(body, headerOf({ 'x-zendesk-webhook-signature': createHmac('sha256', SECRET).update(ts + body).digest('base64'), 'x-zendesk-webhook-signature-timestamp': ts }), SECRET, now);
      },
      /not an ISO-8601 time/,
    ],
  ])('refuses %s', (_name, fn, message) => {
    const err = refused(fn);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(SECRET);
  });

  it('a signed body that is not JSON is a SyntaxError after verification (the route answers 400)', () => {
    const raw = 'not json{';
    expect(() => verifyZendesk(raw, headerOf(signZendeskWebhook(raw, SECRET, at)), SECRET, now)).toThrow(SyntaxError);
  });

  it('tolerance is five minutes', () => {
    expect(ZENDESK_TOLERANCE_SECONDS).toBe(300);
  });
});
