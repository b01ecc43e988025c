import { startEmulatorServer, type EmulatorServer } from './server.js';

/**
 * Slack incoming-webhook emulator: a real HTTP server on 127.0.0.1.
 *
 * `url` is the full webhook URL (…/services/T…/B…/…). POST JSON with `text` and/or `blocks` →
 * 200 `ok` and the message is appended to `messages`. Invalid JSON, or neither text nor blocks →
 * 400 `invalid_payload`; any other path → 404 `no_service`. Bodies are plain text, as Slack sends.
 * A status fault without a body gets Slack's body for that status (403 action_prohibited,
 * 404 channel_not_found, 410 channel_is_archived, 429 rate_limited, 500 rollup_error).
 * Not emulated: the ~1 message/second limit (inject 429 with faults instead).
 */
export interface SlackMessageRecord {
  text?: string;
  blocks?: unknown[];
}

export interface SlackEmulator extends EmulatorServer {
  /** The webhook URL to configure (SLACK_WEBHOOK_URL). */
  url: string;
  /** The server's origin, without the webhook path. */
  origin: string;
  messages: SlackMessageRecord[];
}

export const SLACK_WEBHOOK_PATH = '/services/T0HANDOFF/B0EMULATOR/xoxEmulatorSecret123';

const BODIES: Record<number, string> = {
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'channel_not_found',
  410: 'channel_is_archived',
  429: 'rate_limited',
  500: 'rollup_error',
};

export async function startSlackEmulator(): Promise<SlackEmulator> {
  const messages: SlackMessageRecord[] = [];
  const server = await startEmulatorServer({
    handle(req) {
      if (req.method !== 'POST' || req.path !== SLACK_WEBHOOK_PATH) return { status: 404, body: 'no_service' };
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return { status: 400, body: 'invalid_payload' };
      const { text, blocks } = body as { text?: unknown; blocks?: unknown };
      const hasText = typeof text === 'string' && text !== '';
      if ((!hasText && !Array.isArray(blocks)) || (text !== undefined && typeof text !== 'string') || (blocks !== undefined && !Array.isArray(blocks))) {
        return { status: 400, body: 'invalid_payload' };
      }
      messages.push({ text: text as string | undefined, blocks: blocks as unknown[] | undefined });
      return { status: 200, body: 'ok' };
    },
    faultBody: (status) => ({ body: BODIES[status] ?? (status >= 500 ? 'service_unavailable' : 'invalid_payload'), contentType: 'text/plain; charset=utf-8' }),
  });
  return { ...server, origin: server.url, url: `${server.url}${SLACK_WEBHOOK_PATH}`, messages };
}
