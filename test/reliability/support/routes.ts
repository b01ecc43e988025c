/**
 * The bad-input suite's vocabulary: one request shape (`FuzzRequest`), the public routes it aims at,
 * a write detector over every table, and hostile building blocks (odd strings, deep and wide JSON,
 * header values, content types) as fast-check arbitraries. Deterministic: everything is drawn from
 * the seed of the property that uses it.
 */
import fc from 'fast-check';
import type { Queryable } from '../../../src/db/index.js';

export interface FuzzRequest {
  method: string;
  /** Path and query, always starting with "/". */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Which generator built it (failure messages and per-family tallies). */
  family: string;
}

/** Every route of the public contract (DESIGN.md) and the dashboard, with the methods that reach a handler. */
export const ROUTES: ReadonlyArray<readonly [method: string, path: string]> = [
  ['POST', '/api/webhooks/stripe'],
  ['POST', '/api/webhooks/clerk'],
  ['POST', '/api/webhooks/zendesk'],
  ['POST', '/api/events'],
  ['POST', '/api/chatbot/actions'],
  ['GET', '/api/review'],
  ['POST', '/api/review/x/approve'],
  ['POST', '/api/review/x/reject'],
  ['GET', '/api/customers/someone@example.com'],
  ['GET', '/api/admin/status'],
  ['GET', '/api/admin/jobs'],
  ['POST', '/api/admin/jobs/1/retry'],
  ['POST', '/api/admin/jobs/retry-dead'],
  ['GET', '/api/admin/keys'],
  ['POST', '/api/admin/keys'],
  ['DELETE', '/api/admin/keys/x'],
  ['GET', '/api/alerts'],
  ['GET', '/api/connectors'],
  ['GET', '/api/health'],
  ['GET', '/api/ready'],
  ['GET', '/metrics'],
  ['GET', '/'],
  ['GET', '/login'],
  ['POST', '/login'],
  ['POST', '/logout'],
  ['GET', '/customers'],
  ['GET', '/customers/x'],
  ['GET', '/events'],
  ['GET', '/events/1'],
  ['GET', '/events/stripe/evt_1'],
  ['GET', '/jobs'],
  ['POST', '/jobs/1/retry'],
  ['POST', '/jobs/retry-dead'],
  ['GET', '/review'],
  ['POST', '/review/x/approve'],
  ['POST', '/review/x/reject'],
  ['GET', '/alerts'],
];

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/**
 * Row counts of every table (but the migration ledger) in ONE statement, as a comparable string.
 * A rejected request must leave it unchanged; `diff` names the tables that moved.
 */
export async function tableCounter(db: Queryable) {
  const { rows } = await db.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename`,
  );
  const tables = rows.map((r) => r.tablename);
  const stmt = `SELECT concat_ws(',', ${tables.map((t) => `(SELECT count(*) FROM ${JSON.stringify(t)})`).join(', ')}) AS v`;
  const read = async () => (await db.query<{ v: string }>(stmt)).rows[0]!.v;
  const diff = (before: string, after: string) => {
    const a = before.split(','), b = after.split(',');
    return tables.filter((_, i) => a[i] !== b[i]).map((t) => `${t}: ${a[tables.indexOf(t)]} → ${b[tables.indexOf(t)]}`);
  };
  // PostgreSQL hands out a transaction id only to a transaction that writes. On PGlite (this process is the
  // only client) an unchanged snapshot xmax proves no write happened; on a shared server it moves with
  // everyone's writes, so the counts decide.
  const xid = async () => (await db.query<{ x: string }>(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`)).rows[0]!.x;
  return { tables, read, diff, xid };
}

/** Strings people and attackers send: any code point incl. NUL and lone surrogates, RTL, emoji, homoglyphs. */
export const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    'a\udfffb',
    '\u202egnp.exe',
    '🧨'.repeat(3),
    'ﬁ',
    'İ',
    'ß',
    '%00',
    '%',
    '%E0%A4%A',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '${7*7}',
    '{{constructor}}',
    '__proto__',
    'constructor',
    'NaN',
    '-0',
    '1e309',
    'x'.repeat(5000),
  ),
);

/** Email-ish strings: valid odd ones (IDN, plus tags, quoted, unicode local parts) and broken ones. */
export const oddEmail = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom(
    'Ünïcödé@exämple.com',
    'ユーザー@例え.jp',
    'a+tag@EXAMPLE.com',
    ' padded@example.com ',
    '"quoted local"@example.com',
    'a@b',
    '@example.com',
    'a@@b.co',
    'a@b.co\u0000',
    'a\ud800@b.co',
    'a@b.co\r\nbcc:x@y.z',
    'x'.repeat(400) + '@example.com',
    'ǅ@example.com',
    'İ@example.com',
    'a@xn--80ak6aa92e.com',
    'a@[127.0.0.1]',
  ),
  oddString.map((s) => `${s}@example.com`),
);

/** JSON values with odd leaves; objects may carry prototype-poisoning keys. */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, 0.1),
    oddString,
    oddEmail,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(oddString, fc.constantFrom('__proto__', 'constructor', 'type', 'id', 'data', 'email')), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** Nesting far beyond any sane payload: `[[[…]]]` or `{"a":{"a":…}}` of the given depth, as JSON text. */
export function deepJsonText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
}

/** A flat array of `n` small values, as JSON text (a wide value that defeats naive spreading). */
export function wideJsonText(n: number): string {
  return `[${Array.from({ length: n }, () => '0').join(',')}]`;
}

/** A JSON-text fragment that is deep, wide or merely odd. */
export const hostileJsonText = fc.oneof(
  { arbitrary: oddJson.map((v) => JSON.stringify(v) ?? 'null'), weight: 6 },
  { arbitrary: fc.tuple(fc.integer({ min: 20, max: 100_000 }), fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>).map(([d, k]) => deepJsonText(k === 'object' ? Math.min(d, 40_000) : d, k)), weight: 1 },
  { arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map(wideJsonText), weight: 1 },
);

export const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'multipart/form-data',
  'application/xml',
  'application/octet-stream',
  '',
  '*/*',
  'application/json, text/plain',
  'x'.repeat(3000),
);

/** Header values the fetch API can carry: no NUL/CR/LF (those go raw over a socket, see the process phase). */
export const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\0\r\n]/g, '')),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer  x', 'Basic YTpi', 'bearer hk_test_bootstrap_key_0123456789', 'x'.repeat(8000), 'a,b,c', '; ;', '\t'),
);

/** Extra headers an attacker adds: duplicated auth, smuggling hints, spoofed forwarding, request-id injection. */
export const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'x-request-id',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'forwarded',
    'host',
    'origin',
    'referer',
    'cookie',
    'content-encoding',
    'transfer-encoding',
    'expect',
    'accept',
    'accept-language',
    'x-http-method-override',
    'idempotency-key',
    'authorization',
  ),
  headerValue,
  { maxKeys: 3 },
);

/** Bodies of any kind: nothing, random bytes, odd text, hostile JSON. */
export const anyBody: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 2048 }),
  oddString,
  hostileJsonText,
);

/** encodeURIComponent that never throws (a lone surrogate is encoded as U+FFFD). */
export const encodePart = (s: string) => encodeURIComponent(s.toWellFormed());

/** Path segments: encoded and raw oddities, traversal, NUL, overlong, unicode. */
export const pathSegment = fc.oneof(
  fc.webSegment(),
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%', '%zz', '%C0%AF', '%F0%9F%92%A9', '%ED%A0%80', 'a%20b', '~', ';x=1', 'x'.repeat(3000), '-1', '0', '1e3', '9'.repeat(40), 'NaN', '😀'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(encodePart),
);

export const queryString = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('status', 'limit', 'connector', 'next', 'q', 'page', 'cursor', 'source', 'type', 'done', 'n', 'back', 'state', 'before', 'after'), pathSegment),
        fc.oneof(pathSegment, fc.constantFrom('-1', '0', '501', '1.5', 'all', 'pending', 'dead', '//evil.example', 'https://evil.example/', '%00', '')),
      ),
      { maxLength: 4 },
    )
    .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}` : '')),
);
