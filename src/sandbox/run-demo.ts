import { randomBytes } from 'node:crypto';
import { traceCustomer, type CustomerTrace } from '../admin/index.js';
import { loadConfig } from '../config/index.js';
import { openPglite, sql } from '../db/index.js';
import { createLogger } from '../monitor/index.js';
import { startRuntime } from '../runtime.js';
import { demoScript, sendDemo, type DemoStep } from './demo.js';
import { startSandbox } from './sandbox.js';

export interface DemoReport {
  steps: DemoStep[];
  /** False when the outbox did not drain within the wait (the report says what is still queued). */
  settled: boolean;
  customer: CustomerTrace;
  /** What each sandbox provider received, as a founder would see it in the real tool. */
  sent: {
    hubspot: Array<{ email: string; properties: Record<string, string> }>;
    zendesk: Array<{ id: number; subject: string; external_id: string | null; status: string; comments: number }>;
    slack: string[];
    email: Array<{ to: string[]; subject: string }>;
    webhook: Array<{ id: string; type: string; data: unknown }>;
  };
}

/**
 * The self-contained demo: an in-memory database, every connector on the sandbox, Handoff on a loopback
 * port, the script over real HTTP, then a wait until every queued effect has run. Leaves nothing behind.
 */
export async function runDemo(opts: { waitMs?: number; onStep?: (s: DemoStep) => void; onWait?: (pending: number) => void } = {}): Promise<DemoReport> {
  const secret = (p: string) => `${p}${randomBytes(18).toString('base64url')}`;
  const base = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    HANDOFF_API_KEY: secret('hk_demo_'),
    HANDOFF_ADMIN_TOKEN: secret('demo-admin-'),
    DISPATCH_POLL_MS: '50',
    // The demo must finish in seconds: Slack's real 1/s pace would be the slowest part.
    SLACK_RATE_LIMIT: '10/1s',
    ALERT_EVAL_INTERVAL_MS: '0',
  };
  const sandbox = await startSandbox({});
  let db: Awaited<ReturnType<typeof openPglite>> | undefined;
  let rt: Awaited<ReturnType<typeof startRuntime>> | undefined;
  try {
    db = await openPglite();
    const config = loadConfig({ ...base, ...sandbox.env });
    rt = await startRuntime(config, { web: true, worker: true, db, logger: createLogger('silent') });
    sandbox.connect(rt.url!);
    const script = demoScript();
    const deadline = Date.now() + (opts.waitMs ?? 30_000);
    // Until nothing is queued or running (false at the deadline). Between steps too: an effect that re-checks the
    // customer when it runs (a "new paying customer" alert requires `paid`) must run before the next step changes
    // the customer, as it would when the events are days apart; otherwise it is skipped, by design.
    const drained = async (report: boolean): Promise<boolean> => {
      for (;;) {
        const backlog = (await db!.query<{ pending: number; running: number }>(sql.summarizeBacklog)).rows[0];
        const pending = Number(backlog?.pending ?? 0) + Number(backlog?.running ?? 0);
        if (report) opts.onWait?.(pending);
        if (pending === 0) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const steps = await sendDemo({ url: rt.url!, stripeSecret: base.STRIPE_WEBHOOK_SECRET, apiKey: base.HANDOFF_API_KEY }, script, opts.onStep, async () => void (await drained(false)));
    const settled = await drained(true);
    await rt.dispatcher?.idle();
    const customer = await traceCustomer(db, script.email);
    return {
      steps,
      settled,
      customer,
      sent: {
        hubspot: [...(sandbox.hubspot?.contacts.values() ?? [])].map((c) => ({ email: c.properties.email ?? '', properties: c.properties })),
        zendesk: [...(sandbox.zendesk?.tickets.values() ?? [])].map((t) => ({ id: t.id, subject: t.subject, external_id: t.external_id ?? null, status: t.status, comments: t.comments.length })),
        slack: (sandbox.slack?.messages ?? []).map((m) => m.text ?? ''),
        email: (sandbox.resend?.emails ?? []).map((e) => ({ to: e.to, subject: e.subject })),
        webhook: (sandbox.receiver?.unique() ?? []).map((m) => ({ id: m.id, type: m.type, data: m.data })),
      },
    };
  } finally {
    // Each part is released even when another fails to close.
    await rt?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await sandbox.close();
  }
}
