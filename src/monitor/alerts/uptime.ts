import { sql, type Database } from '../../db/index.js';
import type { Logger } from '../logger.js';
import { displayUrl } from './format.js';

export interface UptimeDeps {
  db: Database;
  urls: readonly string[];
  intervalMs: number;
  /** Per probe (HTTP_TIMEOUT_MS); a probe that takes longer is a failure ("timeout"). A slow probe delays the next tick, never overlaps it. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Probes the monitored URLs that are due. A URL is claimed in the database first (its next check moves
 * one interval ahead), so with several processes each URL is still probed once per interval and
 * `consecutive_failures` counts real, evenly spaced probes. Up = any 2xx or 3xx (redirects are not
 * followed: a redirect to a login page still means the app answers); everything else, a network error or
 * the timeout is a failure. The uptime rule reads the counts; no network I/O happens in a transaction.
 */
export async function probeDue(d: UptimeDeps): Promise<void> {
  if (d.urls.length === 0) return;
  const { rows } = await d.db.query<{ url: string }>(sql.claimUptimeChecks, [d.urls, d.intervalMs]);
  await Promise.all(
    rows.map(async ({ url }) => {
      const { ok, result } = await probe(url, d.timeoutMs);
      if (!ok) d.logger.warn({ url: displayUrl(url), result }, 'uptime check failed');
      await d.db.query(sql.recordUptimeCheck, [url, ok, result]);
    }),
  );
}

/** Registers the configured URLs (once at start). */
export async function syncUptimeTargets(db: Database, urls: readonly string[]): Promise<void> {
  if (urls.length) await db.query(sql.syncUptimeChecks, [urls]);
}

async function probe(url: string, timeoutMs: number): Promise<{ ok: boolean; result: string }> {
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', headers: { 'user-agent': 'Handoff-uptime/1' }, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    return { ok: res.status >= 200 && res.status < 400, result: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, result: `timeout after ${timeoutMs} ms` };
    return { ok: false, result: `network error${e.cause?.code ? ` (${e.cause.code})` : ''}` };
  }
}
