import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../../src/monitor/index.js';
import { Writable } from 'node:stream';
import { systemClock, systemIds, type Clock } from '../../src/clock.js';
import { loadConfig, type AppConfig } from '../../src/config/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import type { TestDb } from './db.js';

export const STRIPE_SECRET = 'whsec_test_primary_secret_0123456789';
export const CLERK_SECRET = `whsec_${Buffer.from('clerk-test-secret-0123456789abcdef').toString('base64')}`;
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const API_KEY = 'hk_test_bootstrap_key_0123456789';

/** Captures every line of the production logger (redaction included) so tests can prove secrets never reach the log. */
export function captureLogger(level = 'trace') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

/** A config for tests: the given env on top of test secrets, fast retries and polling. */
export function testConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    CLERK_WEBHOOK_SECRET: CLERK_SECRET,
    HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN,
    HANDOFF_API_KEY: API_KEY,
    DISPATCH_POLL_MS: '50',
    RETRY_BASE_MS: '20',
    RETRY_MAX_MS: '2000',
    HTTP_TIMEOUT_MS: '2000',
    // Production paces Slack at 1/s and Resend at 2/s; tests of other features should not wait on that.
    // Pacing has its own tests (test/dispatcher/rate-limit.test.ts), which set their limits.
    SLACK_RATE_LIMIT: '1000/1s',
    RESEND_RATE_LIMIT: '1000/1s',
    ...env,
  });
}

export interface TestApp extends Runtime {
  logLines: string[];
}

/** A full Handoff on a test database. `worker: false` leaves jobs queued for the test to inspect. */
export async function startTestApp(
  t: TestDb,
  opts: { env?: Record<string, string | undefined>; web?: boolean; worker?: boolean; clock?: Clock } = {},
): Promise<TestApp> {
  const { logger, lines } = captureLogger();
  const rt = await startRuntime(testConfig(opts.env), {
    web: opts.web ?? false,
    worker: opts.worker ?? false,
    db: t.db,
    logger,
    clock: opts.clock ?? systemClock,
    ids: systemIds,
  });
  return Object.assign(rt, { logLines: lines });
}

/** Signs a Stripe event exactly as Stripe does (`t=…,v1=…`), with the official package. */
export function signStripe(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? STRIPE_SECRET, timestamp: opts.timestamp });
}

export function stripeRequest(event: unknown, opts: { secret?: string; timestamp?: number } = {}): RequestInit {
  const body = JSON.stringify(event);
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body, opts) } };
}

/** A Clerk (Svix) delivery signed with the standardwebhooks package. */
export function clerkRequest(payload: unknown, opts: { id?: string; prefix?: 'svix' | 'webhook'; at?: Date; secret?: string } = {}): RequestInit {
  const body = JSON.stringify(payload);
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const at = opts.at ?? new Date();
  const sig = new Webhook(opts.secret ?? CLERK_SECRET).sign(id, at, body);
  const p = opts.prefix ?? 'svix';
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', [`${p}-id`]: id, [`${p}-timestamp`]: String(Math.floor(at.getTime() / 1000)), [`${p}-signature`]: sig },
  };
}

export function appEventRequest(body: unknown, key = API_KEY): RequestInit {
  return { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Rows in the tables a rejected request must not touch. */
export async function writeCounts(rt: Runtime): Promise<{ inbox: number; customers: number; jobs: number }> {
  const q = async (t: string) => Number((await rt.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${t}`)).rows[0]!.n);
  return { inbox: await q('inbox_events'), customers: await q('customers'), jobs: await q('jobs') };
}

export { systemIds };
