import { BadRequestError, HandoffError } from '../errors.js';
import { assertStorable } from '../events/index.js';

/**
 * The raw request body as UTF-8 text. A body the client stopped sending (connection closed before
 * Content-Length bytes, broken chunking) is the client's 400, logged as a refusal, never a 500:
 * the answer rarely reaches anyone, but the error log and the 5xx metrics must not cry wolf.
 * Errors that already carry their status (413 from the body limit) pass through unchanged.
 */
export async function readBodyText(req: Request): Promise<string> {
  try {
    return Buffer.from(await req.arrayBuffer()).toString('utf8');
  } catch (err) {
    throw unreadable(err);
  }
}

/** The error to throw for a failed body read (see readBodyText). */
export function unreadable(err: unknown): unknown {
  if (err instanceof HandoffError) return err;
  return new BadRequestError('the request body could not be read: the client closed the connection before sending all of it', undefined);
}

/** An admin request's JSON object body; an empty body is `{}`. Malformed JSON, a non-object or an unstorable value is a 400. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const text = await readBodyText(req);
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadRequestError('body must be a JSON object');
  assertStorable(v);
  return v as Record<string, unknown>;
}
