import { BadRequestError } from '../errors.js';

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb rejects unpaired UTF-16 surrogates.
 * An authenticated sender can still send them; they are refused with a 400 here, before any write,
 * instead of failing inside the transaction as a 500. Walks the whole value (depth-first, iterative).
 */
export function assertStorable(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') check(v);
    else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        check(k);
        stack.push(child);
      }
    }
  }
}

function check(s: string) {
  if (s.includes('\u0000')) throw new BadRequestError('the request contains a NUL character (\\u0000), which cannot be stored');
  if (!s.isWellFormed()) throw new BadRequestError('the request contains an unpaired UTF-16 surrogate, which cannot be stored');
}

/**
 * The write-side twin of assertStorable, for text WE produce from provider answers (error messages,
 * results): removes NUL and replaces unpaired surrogates (e.g. an emoji cut in half by a length limit)
 * with U+FFFD, so a provider's odd answer can never make a job's result unwritable.
 */
export function toStorable<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '').toWellFormed() as T;
  if (Array.isArray(value)) return value.map((v) => toStorable(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [toStorable(k), toStorable(v)])) as T;
  }
  return value;
}

/** Event times Handoff stores: 1970 through 2999. Outside that, it is the sender's mistake (400), never a 500. */
export function assertSaneTime(at: Date): void {
  const year = at.getUTCFullYear();
  if (Number.isNaN(at.getTime()) || year < 1970 || year > 2999) {
    throw new BadRequestError('the event time is out of range (1970 to 2999)');
  }
}
