import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { AppConfig } from '../../config/index.js';
import { ConfigError, ProviderError } from '../../errors.js';
import { providerFetch } from '../http.js';
import type { Connector, ConnectorResult, JobToRun } from '../types.js';

export type OutboundConfig = NonNullable<AppConfig['outbound']>;

/** The message a `deliver` job carries (fixed when the job is queued, so every retry sends the same bytes). */
export interface OutboundMessage {
  type: string;
  /** ISO-8601: when the change happened (Standard Webhooks' payload `timestamp`), not when it is sent. */
  timestamp: string;
  data: Record<string, unknown>;
}

const ID_MAX = 256;

/**
 * Signed outbound webhooks (Standard Webhooks, https://www.standardwebhooks.com) to the founder's own
 * endpoint (OUTBOUND_WEBHOOK_URL): one job kind, `deliver`, payload `{type, timestamp, data}`.
 *
 * - Body: `{"type","timestamp","data"}` as JSON, identical on every attempt.
 * - Headers: `webhook-id` = the job's idempotency key (stable across retries, so the receiver can drop a
 *   repeat; hashed to `h_<sha256>` when it is not printable ASCII of ≤256 chars), `webhook-timestamp` = send
 *   time in unix seconds (receivers reject > 5 min skew, so it is fresh on each attempt) and
 *   `webhook-signature` = `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, made by the
 *   `standardwebhooks` package with OUTBOUND_WEBHOOK_SECRET (`whsec_<base64>`).
 * - 2xx → done. 410 Gone → ProviderError with halt `gone` (variable OUTBOUND_WEBHOOK_URL): the endpoint was
 *   removed, the connector is disabled and the founder alerted (the dispatcher decides). Any other status
 *   is the retry table's: 4xx permanent except 408/409/425/429, 5xx and timeouts retried with backoff;
 *   redirects are not followed (a permanent error that says to check the URL).
 * - The URL is treated as a secret (a Zapier hook URL is one): providerFetch never puts it in a message.
 * - A secret that is not `whsec_` + base64 fails at creation (start-up) with a ConfigError.
 */
export function createWebhookConnector(cfg: OutboundConfig, http: { timeoutMs: number }, now: () => Date = () => new Date()): Connector {
  let signer: Webhook;
  try {
    signer = new Webhook(cfg.secret);
  } catch {
    throw new ConfigError(['OUTBOUND_WEBHOOK_SECRET: must be whsec_ followed by a base64 key (a Standard Webhooks secret)']);
  }
  return {
    name: 'webhook',
    async run(job: JobToRun, _customer, signal: AbortSignal): Promise<ConnectorResult> {
      if (job.kind !== 'deliver') throw new Error(`webhook connector: unknown job kind "${job.kind}" (expected deliver)`);
      const message = parsePayload(job.payload);
      const body = JSON.stringify({ type: message.type, timestamp: message.timestamp, data: message.data });
      const id = webhookId(job.idempotencyKey);
      const at = now();
      const res = await providerFetch(
        'webhook',
        cfg.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Handoff-Webhooks/1',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(id, at, body),
          },
          body,
        },
        { timeoutMs: http.timeoutMs, signal, expect: [410] },
      );
      if (res.status === 410) {
        throw new ProviderError('webhook', 'http', 'webhook POST → HTTP 410 Gone: the endpoint says it no longer exists; fix or remove OUTBOUND_WEBHOOK_URL', {
          httpStatus: 410,
          halt: { reason: 'gone', variable: 'OUTBOUND_WEBHOOK_URL' },
        });
      }
      return { status: 'done', result: { webhook_id: id, type: message.type, http_status: res.status }, note: `Outbound webhook ${message.type} delivered` };
    },
  };
}

/** The job key as `webhook-id`: as is when printable ASCII of ≤256 chars, else a stable hash of it. */
export function webhookId(key: string): string {
  if (key.length >= 1 && key.length <= ID_MAX && /^[\x21-\x7e]+$/.test(key)) return key;
  return `h_${createHash('sha256').update(key).digest('hex')}`;
}

function parsePayload(payload: Record<string, unknown>): OutboundMessage {
  const { type, timestamp, data } = payload;
  if (typeof type !== 'string' || !type) throw new Error('webhook connector: payload.type must be a non-empty string');
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) throw new Error('webhook connector: payload.timestamp must be an ISO-8601 string');
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('webhook connector: payload.data must be an object');
  return { type, timestamp, data: data as Record<string, unknown> };
}
