import { Webhook } from 'standardwebhooks';
import { SignatureError } from '../errors.js';

export interface VerifiedMessage {
  /** The sender's message id (`webhook-id` / `svix-id`): stable across the sender's retries. */
  id: string;
  payload: unknown;
}

/**
 * Verifies a Standard Webhooks message (Clerk via Svix sends `svix-*`, others `webhook-*`) with the
 * `standardwebhooks` package: HMAC over "{id}.{timestamp}.{raw body}", ±5 minutes tolerance.
 */
export function verifyStandardWebhook(
  rawBody: string,
  header: (name: string) => string | undefined,
  secret: string | undefined,
  sender: string,
): VerifiedMessage {
  if (!secret) throw new SignatureError(`${sender} webhooks are not configured: set ${sender.toUpperCase()}_WEBHOOK_SECRET`);
  const pick = (n: string) => header(`webhook-${n}`) ?? header(`svix-${n}`);
  const id = pick('id');
  const timestamp = pick('timestamp');
  const signature = pick('signature');
  if (!id || !timestamp || !signature) throw new SignatureError('missing webhook-id/-timestamp/-signature (or svix-*) headers');
  try {
    const payload = new Webhook(secret).verify(rawBody, {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
    return { id, payload };
  } catch (err) {
    throw new SignatureError('webhook signature does not match the body or the timestamp is too old', err);
  }
}
