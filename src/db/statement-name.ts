import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/** A prepared statement's name, derived from its text: the same text always gets the same name (per process). */
export function statementName(text: string): string {
  let n = names.get(text);
  if (!n) {
    n = `h_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, n);
  }
  return n;
}
