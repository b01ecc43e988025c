import { Webhook } from 'standardwebhooks';
import { startEmulatorServer, type EmulatorServer, type RecordedRequest } from './server.js';

/**
 * A receiver of Standard Webhooks (what a founder's Zap, Attio or own endpoint would run): a real HTTP
 * server on 127.0.0.1 that VERIFIES every delivery with the `standardwebhooks` package, exactly as a
 * receiver following the README would (webhook-id / webhook-timestamp / webhook-signature over the raw
 * body, ±5 min tolerance).
 *
 * POST to `url`: verified → 200 `{"received":true}` and the message is appended to `delivered`
 * (repeats of one webhook-id included: `unique()` is what a deduplicating receiver processes);
 * not verified → 400 and the reason goes to `rejected`. Other paths → 404. Faults (503, 410, timeouts)
 * answer before verification, through the shared fault queue.
 */
export interface ReceivedMessage {
  /** webhook-id header. */
  id: string;
  /** webhook-timestamp header (unix seconds: when this attempt was signed). */
  timestamp: number;
  type: string;
  /** The payload's own `timestamp` (when the change happened). */
  occurredAt: string;
  data: Record<string, unknown>;
  /** The raw body as received (byte-identical across retries of one message). */
  raw: string;
}

export interface WebhookReceiver extends EmulatorServer {
  /** The endpoint to configure (OUTBOUND_WEBHOOK_URL). */
  url: string;
  origin: string;
  /** The secret to configure (OUTBOUND_WEBHOOK_SECRET). */
  secret: string;
  delivered: ReceivedMessage[];
  rejected: Array<{ reason: string; headers: Record<string, string> }>;
  /** First delivery of each webhook-id, in arrival order. */
  unique(): ReceivedMessage[];
}

export const OUTBOUND_TEST_SECRET = `whsec_${Buffer.from('handoff-outbound-test-secret-0123456789').toString('base64')}`;
export const WEBHOOK_RECEIVER_PATH = '/hooks/handoff';

function flatHeaders(req: RecordedRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startWebhookReceiver(opts: { secret?: string } = {}): Promise<WebhookReceiver> {
  const secret = opts.secret ?? OUTBOUND_TEST_SECRET;
  const verifier = new Webhook(secret);
  const delivered: ReceivedMessage[] = [];
  const rejected: WebhookReceiver['rejected'] = [];

  const server = await startEmulatorServer({
    handle(req, raw) {
      if (req.method !== 'POST' || req.path !== WEBHOOK_RECEIVER_PATH) return { status: 404, body: 'not found' };
      const headers = flatHeaders(req);
      let payload: unknown;
      try {
        payload = verifier.verify(raw, headers);
      } catch (e) {
        rejected.push({ reason: (e as Error).message, headers });
        return { status: 400, body: { error: 'invalid signature' } };
      }
      const p = (payload ?? {}) as { type?: unknown; timestamp?: unknown; data?: unknown };
      delivered.push({
        id: headers['webhook-id']!,
        timestamp: Number(headers['webhook-timestamp']),
        type: String(p.type),
        occurredAt: String(p.timestamp),
        data: (p.data ?? {}) as Record<string, unknown>,
        raw,
      });
      return { status: 200, body: { received: true } };
    },
    faultBody: (status) => ({ body: status === 410 ? 'Gone' : status >= 500 ? 'Service Unavailable' : `HTTP ${status}`, contentType: 'text/plain; charset=utf-8' }),
  });
  return {
    ...server,
    origin: server.url,
    url: `${server.url}${WEBHOOK_RECEIVER_PATH}`,
    secret,
    delivered,
    rejected,
    unique: () => delivered.filter((m, i) => delivered.findIndex((x) => x.id === m.id) === i),
  };
}
