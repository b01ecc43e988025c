import { BadRequestError } from '../errors.js';

/**
 * How deeply a stored payload may nest arrays and objects. Real senders stay far below (a Stripe event
 * nests about 10 levels); JSON.stringify recurses and overflows the stack some thousands of levels down,
 * which would turn a 256 KiB body of `[[[[…]]]]` into a 500 inside the transaction.
 */
export const STORABLE_DEPTH_MAX = 100;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb rejects unpaired UTF-16 surrogates.
 * An authenticated sender can still send them; they are refused with a 400 here, before any write,
 * instead of failing inside the transaction as a 500. So is nesting deeper than STORABLE_DEPTH_MAX.
 * Walks the whole value (depth-first, iterative, no argument spreading: a 130,000-element array is fine).
 */
export function assertStorable(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') check(v);
    else if (v && typeof v === 'object') {
      if (depth >= STORABLE_DEPTH_MAX) throw new BadRequestError(`the request nests arrays and objects more than ${STORABLE_DEPTH_MAX} levels deep`);
      if (Array.isArray(v)) {
        for (const child of v) stack.push([child, depth + 1]);
      } else {
        for (const [k, child] of Object.entries(v)) {
          check(k);
          stack.push([child, depth + 1]);
        }
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
