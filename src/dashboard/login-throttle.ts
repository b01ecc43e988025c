import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Clock } from '../clock.js';

/** Wrong admin tokens allowed per client address within LOGIN_WINDOW_MS before /login refuses it (429). */
export const LOGIN_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Addresses tracked at most; past that, the one whose last failure is oldest is forgotten first. */
const MAX_ADDRESSES = 10_000;

/**
 * Guessing the admin token through the dashboard's login form. After LOGIN_FAILURES wrong tokens from one address
 * within LOGIN_WINDOW_MS, every attempt from it (the right token too) is refused until the oldest of those failures
 * leaves the window. A successful login clears its address. Counted per process, in memory: a restart forgets, and
 * several Handoff processes each count their own. The address is the TCP peer's (a proxy in front shares one
 * budget among its clients; X-Forwarded-For is not trusted, anyone can write it).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  /** ms until `address` may try again; undefined = it may now. */
  retryAfterMs(address: string): number | undefined {
    const recent = this.recent(address);
    if (recent.length < LOGIN_FAILURES) return undefined;
    return recent[recent.length - LOGIN_FAILURES]! + LOGIN_WINDOW_MS - this.clock.now().getTime();
  }

  fail(address: string): void {
    const recent = this.recent(address);
    recent.push(this.clock.now().getTime());
    this.failures.delete(address); // re-inserted last: Map order is least recently failed first
    this.failures.set(address, recent.slice(-LOGIN_FAILURES));
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const since = this.clock.now().getTime() - LOGIN_WINDOW_MS;
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }
}

/** The request's TCP peer address; 'local' for in-process requests (app.request(), Next.js route handlers). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'local';
  } catch {
    return 'local';
  }
}
