import { BadRequestError } from '../errors.js';
import { assertStorable } from '../events/index.js';

/**
 * Query-string parsing for the pages. Empty means "no filter"; a value outside the allowed set, a
 * malformed cursor or text PostgreSQL cannot store is a 400 that names what is allowed.
 */
export function oneOf<T extends string>(raw: string | undefined, allowed: readonly T[], name: string): T | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new BadRequestError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** A keyset cursor (an id to continue below): a positive integer that fits bigint. */
export function cursor(raw: string | undefined, name = 'before'): number | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(v)) throw new BadRequestError(`${name} must be a positive integer`);
  return Number(v);
}

/** A 1-based page number, at most `max`. */
export function pageNumber(raw: string | undefined, max: number): number {
  const v = raw?.trim();
  if (!v) return 1;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new BadRequestError(`page must be an integer from 1 to ${max}`);
  return Number(v);
}

/** Free text (a search, an event type): trimmed, at most `max` characters, storable. */
export function text(raw: string | undefined, name: string, max = 200): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (v.length > max) throw new BadRequestError(`${name} must be at most ${max} characters`);
  assertStorable(v);
  return v;
}

/** `text%` (lower-cased) for a prefix LIKE, with the pattern's own wildcards and the escape character escaped. */
export const prefixPattern = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
