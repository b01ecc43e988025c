import { ProviderError } from '../errors.js';

/**
 * Retryability is data. Anything not listed as retryable is permanent: the job goes to `dead` at once,
 * kept with its last error, instead of hammering a provider that already said no.
 */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
export const RETRYABLE_KINDS: ReadonlySet<ProviderError['kind']> = new Set(['network', 'timeout']);

export interface RetryConfig {
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  maxAgeMs: number;
}

export type Verdict = { action: 'retry'; delayMs: number; error: string } | { action: 'dead'; error: string };

export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false; // a bug in our code is not fixed by retrying
  if (err.kind === 'http') return err.httpStatus !== undefined && (RETRYABLE_STATUS.has(err.httpStatus) || err.httpStatus >= 500);
  return RETRYABLE_KINDS.has(err.kind);
}

/** Full-jitter exponential backoff: random in [0.5, 1] × min(max, base × 2^(attempt-1)). */
export function backoffMs(attempt: number, cfg: Pick<RetryConfig, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const ceiling = Math.min(cfg.retryMaxMs, cfg.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export function describeError(err: unknown): string {
  if (err instanceof ProviderError) return `${err.provider}: ${err.message}`.slice(0, 1000);
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 1000);
  return String(err).slice(0, 1000);
}

/** What happens after a failed attempt. `Retry-After` wins over backoff (capped by retryMaxMs). */
export function decide(err: unknown, attempts: number, ageMs: number, cfg: RetryConfig, random = Math.random): Verdict {
  const error = describeError(err);
  if (!isRetryable(err)) return { action: 'dead', error: `permanent: ${error}` };
  if (attempts >= cfg.maxAttempts) return { action: 'dead', error: `gave up after ${attempts} attempts: ${error}` };
  const retryAfter = err instanceof ProviderError ? err.retryAfterMs : undefined;
  const delayMs = retryAfter !== undefined ? Math.min(cfg.retryMaxMs, retryAfter) : backoffMs(attempts, cfg, random);
  if (ageMs + delayMs > cfg.maxAgeMs) return { action: 'dead', error: `gave up: older than ${Math.round(cfg.maxAgeMs / 3_600_000)} h: ${error}` };
  return { action: 'retry', delayMs, error };
}
