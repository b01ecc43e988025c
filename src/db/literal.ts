/**
 * A parameter value as an SQL literal of its text form, as the drivers' own serializers would send it: strings as
 * they are, numbers and bigints in decimal, booleans t/f, dates in ISO 8601, arrays as array literals, bytes as
 * bytea hex, other objects as JSON. Always an escape-string literal (E'…', backslashes and quotes doubled), so
 * the result does not depend on standard_conforming_strings. null/undefined are NULL.
 */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return `E'${textOf(v).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return arrayText(v);
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  return JSON.stringify(v);
}

function arrayText(a: unknown[]): string {
  return `{${a
    .map((e) => (e === null || e === undefined ? 'NULL' : Array.isArray(e) ? arrayText(e) : `"${textOf(e).replace(/[\\"]/g, (c) => `\\${c}`)}"`))
    .join(',')}}`;
}
