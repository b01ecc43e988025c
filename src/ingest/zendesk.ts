import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../errors.js';

/** Deliveries signed more than this far from our clock (either way) are refused: replay protection. */
export const ZENDESK_TOLERANCE_SECONDS = 300;

export interface ZendeskDelivery {
  /** The parsed JSON body (only after the signature matched). */
  payload: unknown;
  /** The signed timestamp, as a Date. */
  signedAt: Date;
}

/**
 * Verifies a Zendesk webhook delivery (Admin Center webhooks, event subscriptions and triggers alike):
 *   X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(key = the webhook's signing secret as text,
 *                                                   message = X-Zendesk-Webhook-Signature-Timestamp + raw body))
 * The timestamp header is ISO-8601 ("2021-03-25T05:09:27Z"); Unix seconds are accepted too. It is
 * hashed exactly as sent. Pure: no I/O.
 *
 * Failure modes (all SignatureError → 400, nothing written): the secret is not configured (the route
 * refuses every delivery, as the Clerk route does), a header is missing, the timestamp does not parse
 * or is more than ZENDESK_TOLERANCE_SECONDS away from `nowMs`, or the signature does not match.
 * The comparison is constant-time. A body that is not JSON throws SyntaxError AFTER verification.
 * Messages never quote the secret, the signature or the body.
 */
export function verifyZendesk(
  rawBody: string,
  header: (name: string) => string | undefined,
  secret: string | undefined,
  nowMs: number,
): ZendeskDelivery {
  if (!secret) throw new SignatureError('zendesk webhooks are not configured: set ZENDESK_WEBHOOK_SECRET (the webhook\'s signing secret in Zendesk Admin Center)');
  const signature = header('x-zendesk-webhook-signature')?.trim();
  const timestamp = header('x-zendesk-webhook-signature-timestamp')?.trim();
  if (!signature || !timestamp) throw new SignatureError('missing X-Zendesk-Webhook-Signature / X-Zendesk-Webhook-Signature-Timestamp headers');

  const expected = createHmac('sha256', secret).update(timestamp + rawBody, 'utf8').digest();
  const given = Buffer.from(signature, 'base64');
  // Buffer.from(…, 'base64') skips junk silently; the round trip makes a non-canonical value a mismatch.
  const canonical = given.toString('base64') === signature;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError('zendesk webhook signature does not match the body and timestamp (check ZENDESK_WEBHOOK_SECRET)');
  }

  const signedAt = parseTimestamp(timestamp);
  if (!signedAt) throw new SignatureError('X-Zendesk-Webhook-Signature-Timestamp is not an ISO-8601 time');
  const skew = Math.abs(nowMs - signedAt.getTime()) / 1000;
  if (skew > ZENDESK_TOLERANCE_SECONDS) {
    throw new SignatureError(`zendesk webhook timestamp is ${Math.round(skew)} s away from our clock (tolerance ${ZENDESK_TOLERANCE_SECONDS} s): replayed or clock skew`);
  }
  return { payload: JSON.parse(rawBody), signedAt };
}

function parseTimestamp(v: string): Date | undefined {
  if (/^\d{9,11}$/.test(v)) return new Date(Number(v) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
