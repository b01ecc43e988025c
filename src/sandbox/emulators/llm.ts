import { startEmulatorServer, type EmulatorServer } from './server.js';

/**
 * OpenAI-compatible chat-completions emulator: a real HTTP server on 127.0.0.1 answering
 * POST /v1/chat/completions from a table, as a classifier model would.
 *
 * - `Authorization: Bearer <apiKey>` is required when `apiKey` is set (401 invalid_api_key otherwise, with
 *   OpenAI's error shape). A body without `model` or `messages` → 400 invalid_request_error.
 * - The user turn is read as Handoff sends it (JSON `{"message": "…"}`; plain text is taken as it is) and
 *   matched against `answers` in order (substring, case-insensitive, or RegExp); the first hit's reply is
 *   the assistant's content. A reply object is sent as JSON text; a string is sent verbatim (so a test can
 *   make the MODEL answer garbage). No hit → `fallback` (default general, 0.5).
 * - `seen` records every user message received, to prove what reached the model (steering removed).
 * - Faults (faults.ts) model the transport: timeout (never answers), delay, reset, any status; a status
 *   fault with a `body` sends that body (e.g. `{status: 200, body: 'not json'}` for a garbage response).
 *   Default fault bodies follow OpenAI's `{"error": {message, type, code}}`.
 */
export interface LlmAnswer {
  category: string;
  confidence: number;
  dispute?: boolean;
}

export interface LlmRule {
  match: string | RegExp;
  reply: LlmAnswer | string;
}

export interface LlmEmulatorOptions {
  apiKey?: string;
  answers?: LlmRule[];
  fallback?: LlmAnswer | string;
}

export interface LlmEmulator extends EmulatorServer {
  /** Base URL to configure as CLASSIFIER_URL (…/v1). */
  baseUrl: string;
  answers: LlmRule[];
  /** The user messages the model received, in order. */
  seen: string[];
}

const PATH = '/v1/chat/completions';

const error = (message: string, type: string, code: string | null = null) => ({ error: { message, type, param: null, code } });

const FAULT_BODIES: Record<number, ReturnType<typeof error>> = {
  401: error('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
  429: error('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
  500: error('The server had an error while processing your request. Sorry about that!', 'server_error'),
  503: error('The engine is currently overloaded, please try again later', 'server_error'),
};

export async function startLlmEmulator(opts: LlmEmulatorOptions = {}): Promise<LlmEmulator> {
  const answers = [...(opts.answers ?? [])];
  const seen: string[] = [];
  let n = 0;
  const server = await startEmulatorServer({
    handle(req) {
      if (req.method !== 'POST' || new URL(req.path, 'http://emulator').pathname !== PATH) {
        return { status: 404, body: error(`Invalid URL (${req.method} ${req.path})`, 'invalid_request_error') };
      }
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) return { status: 401, body: FAULT_BODIES[401] };
      const body = req.body as { model?: unknown; messages?: Array<{ role?: unknown; content?: unknown }> } | undefined;
      if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
        return { status: 400, body: error("you must provide a model parameter and 'messages'", 'invalid_request_error') };
      }
      const user = [...body.messages].reverse().find((m) => m.role === 'user');
      const text = userText(user?.content);
      seen.push(text);
      const rule = answers.find((a) => (typeof a.match === 'string' ? text.toLowerCase().includes(a.match.toLowerCase()) : a.match.test(text)));
      const reply = rule?.reply ?? opts.fallback ?? { category: 'general', confidence: 0.5 };
      n += 1;
      return {
        status: 200,
        body: {
          id: `chatcmpl-emulator-${n}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: typeof reply === 'string' ? reply : JSON.stringify(reply) }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 12, total_tokens: 112 },
        },
      };
    },
    faultBody: (status) => ({ body: JSON.stringify(FAULT_BODIES[status] ?? error(`HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error')), contentType: 'application/json' }),
  });
  return { ...server, baseUrl: `${server.url}/v1`, answers, seen };
}

function userText(content: unknown): string {
  if (typeof content !== 'string') return '';
  try {
    const parsed: unknown = JSON.parse(content);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') return (parsed as { message: string }).message;
  } catch {
    // plain text: used as it is
  }
  return content;
}
