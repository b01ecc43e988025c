/**
 * A fault injector shared by every provider emulator. Faults are checked before the emulator's
 * own logic (auth, routes), so they model outages in front of the provider.
 *
 *   faults.push({ status: 503 }, { status: 429, retryAfter: 1 })  // next two matching requests
 *   faults.push({ kind: 'reset' })                                  // destroy the socket, no response
 *   faults.push({ kind: 'timeout' })                                // never answer; the client gives up
 *   faults.push({ kind: 'delay', ms: 1500 })                        // answer normally, 1.5 s late
 *   faults.failFor(500, { status: 503 })                            // every request for 500 ms
 *   faults.push({ status: 404, match: { method: 'PATCH' } })        // only the next PATCH
 *
 * Order: an active window wins over the queue; the queue is consumed first-match (a fault whose
 * `match` does not fit the request stays queued). A status fault without `body` gets the
 * emulator's realistic body for that status. Held ('timeout') requests are released by the
 * emulator's close(), so tests never hang on them.
 */
export interface FaultMatch {
  method?: string;
  /** Substring of, or pattern for, the request path including the query string. */
  path?: string | RegExp;
}

export type Fault =
  | { status: number; retryAfter?: number | string; body?: string; headers?: Record<string, string>; match?: FaultMatch }
  | { kind: 'timeout'; match?: FaultMatch }
  /** Answer normally, but only after `ms` (the request takes effect): a slow provider. */
  | { kind: 'delay'; ms: number; match?: FaultMatch }
  | { kind: 'reset'; match?: FaultMatch };

export interface FaultRequest {
  method: string;
  path: string;
}

export class FaultQueue {
  private queue: Fault[] = [];
  private window: { until: number; fault: Fault } | undefined;

  /** Queue faults for the next matching requests, one request each. */
  push(...faults: Fault[]): this {
    this.queue.push(...faults);
    return this;
  }

  /** Fail every matching request for `ms` milliseconds from now (an outage window). */
  failFor(ms: number, fault: Fault): this {
    this.window = { until: Date.now() + ms, fault };
    return this;
  }

  clear(): void {
    this.queue = [];
    this.window = undefined;
  }

  /** Queued faults not yet served. */
  get pending(): number {
    return this.queue.length;
  }

  /** The fault for this request, if any (consumes a queued one). Called by the emulator server. */
  take(req: FaultRequest): Fault | undefined {
    if (this.window && Date.now() >= this.window.until) this.window = undefined;
    if (this.window && matches(this.window.fault.match, req)) return this.window.fault;
    const i = this.queue.findIndex((f) => matches(f.match, req));
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }
}

function matches(m: FaultMatch | undefined, req: FaultRequest): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (m.path === undefined) return true;
  return typeof m.path === 'string' ? req.path.includes(m.path) : m.path.test(req.path);
}

/** A short label for request logs: "503", "timeout", "reset". */
export function faultLabel(f: Fault): string {
  return 'status' in f ? String(f.status) : f.kind;
}
