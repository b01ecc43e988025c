import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, systemIds } from '../../src/clock.js';
import { openSession } from '../../src/dashboard/session.js';
import { createLogger } from '../../src/monitor/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { ADMIN_TOKEN, API_KEY, CLERK_SECRET, STRIPE_SECRET, testConfig } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { spawnHandoff, type HandoffProcess } from '../support/process.js';
import { framingAttacks, rawRequest } from './support/raw-http.js';
import { tableCounter, type FuzzRequest } from './support/routes.js';
import {
  adminRequests,
  anyRequests,
  appEventRequests,
  chatbotRequests,
  clerkRequests,
  dashboardRequests,
  hugeRequests,
  pathRequests,
  stripeRequests,
  ZENDESK_SECRET,
  zendeskRequests,
} from './support/senders.js';

/**
 * Bad input, property-based (fast-check, fixed seeds): every public route gets random bytes, huge bodies,
 * deep and wide JSON, wrong content types, odd headers, unicode emails, path fuzz, and signature and
 * timestamp mutations of VALID signed deliveries built from the real fixtures. Invariants:
 *   1. no answer is a 5xx (and the server logs no "request failed");
 *   2. a refused request (4xx) changes no row in any table;
 *   3. the process stays up: a subset goes through a real port of a real `handoff start`, plus framing
 *      attacks on the raw socket, and `GET /api/ready` is 200 at the end.
 * FUZZ_SCALE (default 1: ≈ 50,000 cases per database, ≥ 100,000 in all) shrinks or grows every family.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = 20_261_127;
const RUNS: Record<string, number> = {
  stripe: 8_000,
  clerk: 3_500,
  zendesk: 3_000,
  events: 5_000,
  chatbot: 4_000,
  admin: 5_000,
  dashboard: 5_000,
  any: 8_000,
  path: 8_500,
  huge: 40,
};
const runs = (family: string) => Math.max(1, Math.round(RUNS[family]! * SCALE));
const EXAMPLES = 5;

const FUZZ_ENV = {
  ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
  // Alert evaluation would write incidents on its own (webhook failure rate!) and blur "zero writes".
  ALERT_EVAL_INTERVAL_MS: '0',
  CHATBOT_ACTIONS_PER_HOUR: '10000',
};

/** What a run saw: statuses, 5xx, writes by refused requests, requests the client could not even build. */
class Tally {
  cases = 0;
  unsendable = 0;
  unsendableSamples: string[] = [];
  statuses = new Map<number, number>();
  serverErrors: string[] = [];
  refusedWrites: string[] = [];
  families = new Map<string, number>();

  slowest: Array<[number, string]> = [];
  slow(r: FuzzRequest, ms: number) {
    if (this.slowest.length < 5 || ms > this.slowest[this.slowest.length - 1]![0]) {
      this.slowest.push([Math.round(ms), Tally.describe(r).slice(0, 300)]);
      this.slowest.sort((a, b) => b[0] - a[0]);
      this.slowest.length = Math.min(this.slowest.length, 5);
    }
  }
  note(r: FuzzRequest, status: number) {
    this.cases += 1;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const fam = r.family.split(':')[0]!;
    this.families.set(fam, (this.families.get(fam) ?? 0) + 1);
  }
  static describe(r: FuzzRequest, extra = ''): string {
    const b = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : `<${r.body.length} bytes>`;
    return `${r.family} ${r.method} ${r.path.slice(0, 200)} headers=${JSON.stringify(r.headers).slice(0, 400)} body=${JSON.stringify(b.slice(0, 300))} (${b.length} chars) ${extra}`;
  }
  summary(): string {
    const st = [...this.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
    return `${this.cases} cases (${[...this.families].map(([f, n]) => `${f} ${n}`).join(', ')}); statuses ${st}; unsendable ${this.unsendable}`;
  }
}

/**
 * The one write a refusal may make, by design: the chatbot gateway stores a WELL-FORMED request it refuses
 * by policy (unknown action, …) as a `rejected` decision (422 with its decision_id), plus a timeline entry
 * when it names a known customer, so refusals are counted and reviewable (src/chatbot/schema.ts).
 * A body it cannot read stores nothing.
 */
function auditedRefusal(r: FuzzRequest, status: number, answer: string, changed: string[]): boolean {
  if (r.family !== 'chatbot' || status !== 422) return false;
  // The decision row, and its entry on the timeline of the customer it names (when that customer is known).
  const oneMore = (c: string) => {
    const m = c.match(/^(chatbot_decisions|timeline): (\d+) → (\d+)$/);
    return m !== null && Number(m[3]) === Number(m[2]) + 1;
  };
  if (!changed.some((c) => c.startsWith('chatbot_decisions:')) || !changed.every(oneMore)) return false;
  let body: { decision?: string; decision_id?: string } = {};
  try {
    body = JSON.parse(answer) as typeof body;
  } catch {
    return false;
  }
  return body.decision === 'rejected' && typeof body.decision_id === 'string';
}

function toInit(r: FuzzRequest): RequestInit {
  const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
  return { method: r.method, headers: r.headers, body: body as RequestInit['body'] };
}

describe.each(DB_KINDS)('bad input on %s', (kind) => {
  const t = useTestDb(kind);
  let rt: Runtime;
  let errorLines = 0;
  const errorSamples: string[] = [];
  const tally = new Tally();

  beforeAll(async () => {
    // The production logger; every error-level line ("request failed", a crashed job loop, …) fails the run.
    const sink = new Writable({
      write(chunk, _e, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          if (!line.includes('"level":50') && !line.includes('"level":60')) continue;
          errorLines += 1;
          if (errorSamples.length < 5) errorSamples.push(line.slice(0, 1500));
        }
        cb();
      },
    });
    rt = await startRuntime(testConfig(FUZZ_ENV), { web: false, worker: true, db: t.db, logger: createLogger('warn', sink), clock: systemClock, ids: systemIds });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it(`≈${Math.round(Object.values(RUNS).reduce((a, b) => a + b) * SCALE)} hostile requests in-process: no 5xx, no write from a refused request`, async () => {
    const counter = await tableCounter(rt.db);
    const session = await openSession(rt.db, systemClock, systemIds, ADMIN_TOKEN);
    const cheap = kind === 'pglite';
    let lastXid = await counter.xid();
    let last = await counter.read();

    const send = async (r: FuzzRequest) => {
      let res: Response;
      const t0 = performance.now();
      try {
        res = await rt.app.request(r.path, toInit(r));
      } catch (err) {
        // Only the client side can throw here (a header value the fetch API refuses); Hono turns handler errors into responses.
        if (err instanceof TypeError) {
          tally.unsendable += 1;
          if (tally.unsendableSamples.length < 5) tally.unsendableSamples.push(`${err.message}: ${Tally.describe(r)}`);
          return;
        }
        throw err;
      }
      const answer = await res.text();
      tally.slow(r, performance.now() - t0);
      // In-process PGlite answers through microtasks only: without a macrotask turn now and then, timers
      // (the dispatcher's heartbeat) would starve, which a real server's socket I/O never does.
      await new Promise((resolve) => setImmediate(resolve));
      tally.note(r, res.status);
      if (res.status >= 500 && tally.serverErrors.length < 50) tally.serverErrors.push(Tally.describe(r, `→ ${res.status} ${answer.slice(0, 300)}`));
      // Cheap first: no transaction id was handed out since the last look means nothing was written at all.
      const x = cheap ? await counter.xid() : '';
      if (cheap && x === lastXid) return;
      lastXid = x;
      const now = await counter.read();
      if (res.status >= 400 && now !== last && !auditedRefusal(r, res.status, answer, counter.diff(last, now)) && tally.refusedWrites.length < 50) {
        tally.refusedWrites.push(Tally.describe(r, `→ ${res.status} wrote ${counter.diff(last, now).join('; ')}`));
      }
      last = now;
    };

    const families: Array<[string, fc.Arbitrary<FuzzRequest>]> = [
      ['stripe', stripeRequests],
      ['clerk', clerkRequests],
      ['zendesk', zendeskRequests],
      ['events', appEventRequests],
      ['chatbot', chatbotRequests],
      ['admin', adminRequests],
      ['dashboard', dashboardRequests({ cookie: session.id, csrf: session.csrf })],
      ['any', anyRequests],
      ['path', pathRequests],
      ['huge', hugeRequests(rt.config.bodyLimitBytes)],
    ];
    for (const [i, [family, arb]] of families.entries()) {
      // Failures are collected (not thrown) so one run reports every distinct problem; seeds make each reproducible.
      await fc.assert(
        fc.asyncProperty(arb, async (r) => {
          await send(r);
        }),
        { seed: SEED + i, numRuns: runs(family), endOnFailure: true },
      );
    }

    console.log(`[fuzz ${kind}] ${tally.summary()}`);
    console.log(`[fuzz ${kind}] slowest: ${tally.slowest.map(([ms, d]) => `${ms} ms ${d}`).join('\n')}`);
    expect(tally.serverErrors.slice(0, EXAMPLES), `5xx answers (${tally.serverErrors.length}${tally.serverErrors.length === 50 ? '+' : ''})`).toEqual([]);
    expect(tally.refusedWrites.slice(0, EXAMPLES), `refused requests that wrote (${tally.refusedWrites.length})`).toEqual([]);
    expect(errorSamples, `error log lines (${errorLines})`).toEqual([]);
    // Enough of the run reached handlers to mean something: most families are refused, but not all of it.
    expect(tally.cases + tally.unsendable).toBe(Object.keys(RUNS).reduce((a, f) => a + runs(f), 0));
    const ok = [...tally.statuses].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
    expect(ok).toBeGreaterThan(tally.cases * 0.05);
    expect(tally.unsendable, tally.unsendableSamples.join('\n')).toBeLessThan(tally.cases * 0.01);
    const ready = await rt.app.request('/api/ready');
    expect(ready.status).toBe(200);
  }, 1_800_000); // ≈ 4 min on an idle 2-core machine; generous for a shared one

  describe('through a real port of a real process', () => {
    let dataDir: string | undefined;
    let proc: HandoffProcess | undefined;
    let url = '';

    beforeAll(async () => {
      // The in-process runtime lets go of the database first (PGlite allows one owner).
      await rt.close();
      if (kind === 'pglite') dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-fuzz-'));
      proc = spawnHandoff(['start'], {
        ...(kind === 'postgres' ? { DATABASE_URL: t.url! } : { HANDOFF_DATA_DIR: dataDir! }),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
        CLERK_WEBHOOK_SECRET: CLERK_SECRET,
        HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
        HANDOFF_API_KEY: API_KEY,
        ...FUZZ_ENV,
      });
      url = (await proc.waitFor(/listening on\s+(http:\/\/\S+)/, 60_000))[1]!;
    });
    afterAll(async () => {
      if (proc && proc.proc.exitCode === null) {
        proc.proc.kill('SIGKILL');
        await proc.exited;
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('a fuzzed subset and framing attacks over TCP: no 5xx, still up, ready', async () => {
      const seen = new Map<number, number>();
      const bad: string[] = [];
      let sent = 0;
      const mix = fc.oneof(stripeRequests, clerkRequests, zendeskRequests, appEventRequests, chatbotRequests, adminRequests, anyRequests, pathRequests);
      await fc.assert(
        fc.asyncProperty(mix, async (r) => {
          let status: number;
          try {
            const res = await fetch(url + r.path, { ...toInit(r), redirect: 'manual' });
            await res.arrayBuffer();
            status = res.status;
          } catch {
            return; // a header undici will not send, or a connection the server closed on purpose
          }
          sent += 1;
          seen.set(status, (seen.get(status) ?? 0) + 1);
          if (status >= 500 && bad.length < 20) bad.push(Tally.describe(r, `→ ${status}`));
        }),
        { seed: SEED + 100, numRuns: Math.max(50, Math.round(1_500 * SCALE)) },
      );

      // CR/LF/NUL spliced into otherwise valid signed deliveries, and the classic framing attacks.
      const host = new URL(url).host;
      const spliced = await fc.sample(
        fc.record({
          at: fc.nat(),
          junk: fc.constantFrom('\r\n', '\n', '\r', '\0', '\r\nX-Injected: 1', '\r\n\r\nGET /api/admin/keys HTTP/1.1\r\n', '\u0085', '\u2028', 'é'),
        }),
        { seed: SEED + 200, numRuns: Math.max(20, Math.round(200 * SCALE)) },
      );
      const attacks = framingAttacks(host);
      for (const [i, s] of spliced.entries()) {
        const body = '{"id":"evt_raw","object":"event","type":"invoice.paid","data":{"object":{}}}';
        const head = `POST /api/webhooks/stripe HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nStripe-Signature: t=1,v1=${'0'.repeat(64)}\r\nX-Request-Id: req-${i}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n`;
        const cut = 20 + (s.at % (head.length - 22));
        attacks.push([`spliced ${JSON.stringify(s.junk)} at ${cut}`, `${head.slice(0, cut)}${s.junk}${head.slice(cut)}\r\n${body}`]);
      }
      for (const [name, bytes] of attacks) {
        const a = await rawRequest(url, bytes);
        sent += 1;
        for (const st of a.statuses) seen.set(st, (seen.get(st) ?? 0) + 1);
        if (a.statuses.some((st) => st >= 500)) bad.push(`raw: ${name} → ${a.statuses.join(',')}`);
      }

      console.log(`[fuzz ${kind} over TCP] ${sent} requests; statuses ${[...seen].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ')}`);
      expect(bad).toEqual([]);
      expect(proc!.proc.exitCode).toBeNull();
      const ready = await fetch(`${url}/api/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      // A 5xx from the production logger would show up as an error line on stdout/stderr.
      expect(`${proc!.stdout()}${proc!.stderr()}`).not.toMatch(/request failed/);
      proc!.proc.kill('SIGTERM');
      expect((await proc!.exited).code).toBe(0);
    });
  });
});
