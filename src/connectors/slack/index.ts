import type { AppConfig } from '../../config/index.js';
import { ProviderError } from '../../errors.js';
import { providerFetch } from '../http.js';
import type { Connector, ConnectorResult, CustomerSnapshot, JobToRun } from '../types.js';
import { TEMPLATES, renderMessage, type Facts, type TemplateName } from './templates.js';

export { TEMPLATES, renderMessage, escapeMrkdwn, formatAmount, formatDate } from './templates.js';
export type { TemplateName, Facts, SlackMessage } from './templates.js';

export type SlackConfig = NonNullable<AppConfig['slack']>;

/**
 * Slack incoming webhook. One job kind, `notify`, payload `{template, facts}`.
 *
 * - 200 `ok` → done. Any other 2xx is also treated as delivered (Slack accepted the message).
 * - Errors arrive as plain-text bodies (invalid_payload 400, action_prohibited 403,
 *   channel_not_found / no_service 404, channel_is_archived 410, 429 + Retry-After); they surface as
 *   ProviderError kind 'http' with httpStatus, and the dispatcher's policy makes 4xx permanent
 *   except 408/409/425/429. A webhook that is revoked or whose channel is gone (action_prohibited,
 *   channel_not_found, no_service, channel_is_archived) is not this message's fault: it halts the connector
 *   (`gone`, SLACK_WEBHOOK_URL) so every alert waits for a new URL instead of dying one by one.
 * - Incoming webhooks have no idempotency key: if Slack posts the message but the response is lost
 *   (timeout, reset), the retry posts it again. That duplicate is the accepted cost of at-least-once.
 * - The webhook URL is the secret; providerFetch never puts it in an error message.
 * - A bad payload (unknown template) is a bug in whoever queued the job: thrown as a plain Error.
 */
export function createSlackConnector(cfg: SlackConfig, http: { timeoutMs: number }): Connector {
  return {
    name: 'slack',
    async run(job: JobToRun, customer: CustomerSnapshot, signal: AbortSignal): Promise<ConnectorResult> {
      if (job.kind !== 'notify') throw new Error(`slack connector: unknown job kind "${job.kind}" (expected notify)`);
      const { template, facts } = parsePayload(job.payload);
      const message = renderMessage(template, customer, facts);
      const res = await providerFetch(
        'slack',
        cfg.webhookUrl,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) },
        { timeoutMs: http.timeoutMs, signal },
      ).catch((err: unknown) => {
        throw webhookGone(err);
      });
      const body = (await res.text()).trim();
      return { status: 'done', result: { template, response: body.slice(0, 40) } };
    },
  };
}

/** Slack's answers that mean the webhook itself no longer delivers anywhere. */
const GONE = /: (action_prohibited|channel_not_found|no_service|channel_is_archived)$/;

function webhookGone(err: unknown): unknown {
  if (!(err instanceof ProviderError) || ![403, 404, 410].includes(err.httpStatus ?? 0) || !GONE.test(err.message)) return err;
  return new ProviderError('slack', 'http', `${err.message}: the webhook was revoked or its channel removed; create a new incoming webhook and set SLACK_WEBHOOK_URL`, {
    httpStatus: err.httpStatus,
    halt: { reason: 'gone', variable: 'SLACK_WEBHOOK_URL' },
  });
}

function parsePayload(payload: Record<string, unknown>): { template: TemplateName; facts: Facts } {
  const template = payload.template;
  if (typeof template !== 'string' || !(TEMPLATES as readonly string[]).includes(template)) {
    throw new Error(`slack connector: payload.template must be one of ${TEMPLATES.join(', ')} (got ${JSON.stringify(template)})`);
  }
  const facts = payload.facts;
  if (facts !== undefined && (facts === null || typeof facts !== 'object' || Array.isArray(facts))) {
    throw new Error('slack connector: payload.facts must be an object');
  }
  return { template: template as TemplateName, facts: (facts ?? {}) as Facts };
}
