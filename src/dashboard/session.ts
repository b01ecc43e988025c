import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, Ids } from '../clock.js';
import { sql, type Queryable } from '../db/index.js';

/**
 * Dashboard sessions, stored server-side (dashboard_sessions). The cookie carries a random 256-bit id;
 * the database keeps only its SHA-256, the expiry, a revocation time and a fingerprint of the admin
 * token that opened it. A session is valid while: not revoked, not expired (by the injected clock), and
 * the admin token is still the one it was opened with.
 */

/** Sessions last 12 hours from login (absolute, not sliding): a stolen cookie has a bounded life. */
export const SESSION_TTL_MS = 12 * 3_600_000;
export const COOKIE_NAME = 'handoff_session';
/** Revoked and expired rows are kept this long (an audit trail of recent logins), then deleted. */
const KEEP_ENDED_MS = 24 * 3_600_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface Session {
  /** The raw id from the cookie: never stored, never logged. */
  id: string;
  idHash: string;
  expiresAt: Date;
  /** The per-session CSRF token every state-changing form carries. */
  csrf: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const hashId = (id: string) => sha256(id).toString('hex');

/** Short keyed fingerprint: detects a rotated admin token without storing anything that helps guess it. */
export const tokenFingerprint = (adminToken: string) =>
  createHmac('sha256', 'handoff-dashboard-session').update(adminToken).digest('hex').slice(0, 16);

/** Derived from the secret session id, so it needs no storage and is unguessable without the cookie. */
const csrfFor = (id: string) => createHmac('sha256', id).update('handoff-dashboard-csrf').digest('base64url');

/** Constant-time string equality (over digests, so lengths never leak either). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export async function openSession(db: Queryable, clock: Clock, ids: Ids, adminToken: string): Promise<Session> {
  const id = ids.token(32);
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db.query(sql.pruneDashboardSessions, [new Date(now.getTime() - KEEP_ENDED_MS)]);
  await db.query(sql.insertDashboardSession, [hashId(id), tokenFingerprint(adminToken), now, expiresAt]);
  return { id, idHash: hashId(id), expiresAt, csrf: csrfFor(id) };
}

/** The live session for a cookie value, or undefined (malformed, unknown, expired, revoked, token rotated). */
export async function findSession(db: Queryable, clock: Clock, adminToken: string | undefined, cookie: string | undefined): Promise<Session | undefined> {
  if (!adminToken || !cookie || !SESSION_ID.test(cookie)) return undefined;
  const { rows } = await db.query<{ token_fp: string; expires_at: Date }>(sql.findDashboardSession, [hashId(cookie), clock.now()]);
  const row = rows[0];
  if (!row || !safeEqual(row.token_fp, tokenFingerprint(adminToken))) return undefined;
  return { id: cookie, idHash: hashId(cookie), expiresAt: row.expires_at, csrf: csrfFor(cookie) };
}

export async function revokeSession(db: Queryable, clock: Clock, s: Session): Promise<void> {
  await db.query(sql.revokeDashboardSession, [s.idHash, clock.now()]);
}

export function checkCsrf(s: Session, submitted: unknown): boolean {
  return typeof submitted === 'string' && safeEqual(submitted, s.csrf);
}
