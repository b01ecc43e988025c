import { randomUUID, randomBytes } from 'node:crypto';

/** Injectable time and ids, so tests control both. Production uses the system clock. */
export interface Clock {
  now(): Date;
}
export interface Ids {
  /** A new opaque id, unique across processes (UUID v4 by default). */
  uuid(): string;
  /** `bytes` random bytes, base64url; used for tokens and API keys. */
  token(bytes?: number): string;
}

export const systemClock: Clock = { now: () => new Date() };

export const systemIds: Ids = {
  uuid: () => randomUUID(),
  token: (bytes = 24) => randomBytes(bytes).toString('base64url'),
};

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
