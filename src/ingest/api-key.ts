import { createHash } from 'node:crypto';

export type Scope = 'events:write' | 'chatbot:act';
export const ALL_SCOPES: readonly Scope[] = ['events:write', 'chatbot:act'];
/** Keys look like `hk_<random>`; only their SHA-256 is stored, and the first 10 characters for display. */
export const KEY_PREFIX = 'hk_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, 10);
}

/** The bearer token from an Authorization header, or undefined when absent or not Bearer. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
