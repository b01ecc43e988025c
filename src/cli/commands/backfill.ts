import type { BackfillRun, BackfillKind, KindCounts } from '../../backfill/index.js';
import type { AppConfig } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import { str } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { configOf, SERVER_OPTION, WHERE_DATA_COMES_FROM } from '../context.js';
import { adminClient } from '../data/api.js';
import { reachData } from '../data/reach.js';
import { CliError, UsageError } from '../errors.js';
import { duration } from '../format.js';
import { json, line } from '../io.js';
import { usage } from './jobs.js';

/** Per admin API request; polling asks often and cheaply. */
const REQUEST_MS = 15_000;
const POLL_MS = 500;
/** A run whose heartbeat is older than this is not being worked on any more (see backfill/store.ts). */
const DEAD_MS = 60_000;

/**
 * `handoff backfill stripe`: Stripe's current customers, subscriptions and recent invoices recorded through
 * the webhook pipeline (see src/backfill). Runs here on a database this process can open (PostgreSQL, or an
 * embedded PGlite no server holds), or in the server that owns the data through its admin API (started,
 * then polled). Exit 0 when the run is done; 1 when it failed or was interrupted (run again to resume).
 */
export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'record Stripe\'s current customers, subscriptions and recent invoices (resumable; --sync-crm)',
  usage: 'stripe [--since DATE] [--sync-crm] [--restart]',
  positionals: [1, 1],
  details: `Reads customers, subscriptions (every status) and the invoices created since --since through the Stripe API
(STRIPE_SECRET_KEY; a restricted rk_… key with read access to those three is enough; STRIPE_API_BASE_URL for a
proxy or an emulator) and records each as a synthetic Stripe event with a deterministic id through the same
pipeline as webhooks. Running it twice changes nothing; a webhook newer than what Stripe's objects say always
wins. It sends nothing to Slack, email or your webhook endpoint; --sync-crm queues one HubSpot update per
customer known to Stripe through the outbox (delivered by the worker at HubSpot's pace).

An interrupted or failed run (Ctrl-C, a crash, Stripe down) resumes where it stopped the next time you run the
command; --restart starts over. Through a server's admin API, the run happens in that server with its
STRIPE_SECRET_KEY; Ctrl-C asks it to stop.

${WHERE_DATA_COMES_FROM}`,
  options: {
    since: { type: 'string', value: 'DATE', description: 'read invoices created since DATE (2026-09-01) or a span back (30d, 12h, 2w); default 90d' },
    'sync-crm': { type: 'boolean', description: 'afterwards, push every Stripe customer\'s state to HubSpot through the outbox' },
    restart: { type: 'boolean', description: 'abandon the unfinished run and start over' },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    if (ctx.positionals[0] !== 'stripe') throw new UsageError(`unknown backfill source ${JSON.stringify(ctx.positionals[0])}: only "stripe" is supported`);
    const { parseSince } = await import('../../backfill/index.js');
    const sinceText = str(ctx.values, 'since');
    const since = usage(() => parseSince(sinceText, new Date()));
    const request = { since, syncCrm: ctx.values['sync-crm'] === true, restart: ctx.values.restart === true };
    const config = await configOf(ctx);
    const url = str(ctx.values, 'url') ?? (ctx.io.env.HANDOFF_URL?.trim() || undefined);
    // The run itself records 4 events at a time: a pool of 6 leaves room for progress writes.
    const target = await reachData(config, { url, poolMax: 6 });
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    const bar = progressLine(ctx);
    try {
      const { run, resumed, via } =
        target.kind === 'api' ? await viaApi(target.base, config.adminToken, request, stop.signal, bar.draw) : await direct(target.db, config, request, stop.signal, bar.draw);
      bar.clear();
      return report(ctx, run, resumed, via);
    } finally {
      bar.clear();
      process.off('SIGINT', onSigint);
      if (target.kind === 'direct') await target.db.close().catch(() => undefined);
    }
  },
};

interface Outcome {
  run: BackfillRun;
  resumed: boolean;
  via: string;
}
interface Request {
  since?: Date;
  syncCrm: boolean;
  restart: boolean;
}

async function direct(db: Database, config: AppConfig, req: Request, signal: AbortSignal, draw: (run: Partial<BackfillRun>) => void): Promise<Outcome> {
  const { prepareBackfill, BackfillRefused } = await import('../../backfill/index.js');
  const { stripeClient, StripeApiError } = await import('../../stripe-api/index.js');
  const { systemClock, systemIds } = await import('../../clock.js');
  const api = config.stripe.api;
  if (!api) throw new CliError('STRIPE_SECRET_KEY is not set: the backfill reads Stripe\'s API with it', { fix: 'set STRIPE_SECRET_KEY (a restricted rk_… key with read access to customers, subscriptions and invoices is enough)' });
  try {
    const prepared = await prepareBackfill(
      {
        db,
        stripe: stripeClient(api, { timeoutMs: Math.max(config.http.timeoutMs, 10_000) }),
        record: { clock: systemClock, ids: systemIds, maxAttempts: config.dispatcher.maxAttempts },
        hubspotEnabled: config.hubspot !== undefined,
      },
      { ...req, signal, onProgress: (p) => draw({ counts: p.counts, cursors: p.cursors }) },
    );
    const run = await prepared.execute().catch(async (err: unknown) => {
      const { getBackfillRun } = await import('../../backfill/index.js');
      const failed = await getBackfillRun(db, prepared.run.id);
      if (failed && failed.status === 'failed') return failed; // reported from the run row, with its error
      throw err;
    });
    return { run, resumed: prepared.resumed, via: db.describe };
  } catch (err) {
    if (err instanceof BackfillRefused || err instanceof StripeApiError) throw new CliError(err.message, { fix: err.fix });
    throw err;
  }
}

async function viaApi(base: string, token: string | undefined, req: Request, signal: AbortSignal, draw: (run: Partial<BackfillRun>) => void): Promise<Outcome> {
  const admin = adminClient(base, token, { timeoutMs: REQUEST_MS });
  const call = <T>(method: string, path: string, body?: unknown) => admin<T>(method, `/api/admin/backfill${path}`, body);
  const started = await call<{ run: BackfillRun; resumed: boolean }>('POST', '', {
    ...(req.since ? { since: req.since.toISOString() } : {}),
    syncCrm: req.syncCrm,
    restart: req.restart,
  });
  const id = started.run.id;
  let stopAsked = false;
  for (;;) {
    if (signal.aborted && !stopAsked) {
      stopAsked = true;
      await call('POST', `/${id}/stop`).catch(() => undefined); // it may have just finished
    }
    const { run } = await call<{ run: BackfillRun }>('GET', `/${id}`);
    draw(run);
    if (run.status !== 'running') return { run, resumed: started.resumed, via: `the admin API at ${base}` };
    if (Date.now() - Date.parse(run.heartbeatAt) > DEAD_MS) {
      throw new CliError(`the server stopped working on backfill run ${id} (no heartbeat since ${run.heartbeatAt})`, { fix: 'run the command again: it resumes from the last checkpoint' });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const KINDS: readonly BackfillKind[] = ['customers', 'subscriptions', 'invoices'];

function report(ctx: CommandContext, run: BackfillRun, resumed: boolean, via: string): number {
  if (ctx.json) json(ctx.io, { via, resumed, run });
  else {
    const took = Math.max(0, (Date.parse(run.finishedAt ?? run.updatedAt) - Date.parse(run.startedAt)) / 1000);
    ctx.io.err(`backfill ${run.id}${resumed ? ' (resumed)' : ''} through ${via}; invoices since ${run.since.slice(0, 10)}\n`);
    for (const k of KINDS) line(ctx.io, `${k.padEnd(13)} ${kindLine(run.counts[k as 'customers'])}`);
    line(ctx.io, `customers     ${run.counts.customersCreated ?? 0} created, ${run.counts.customersChanged ?? 0} changed`);
    const crm = run.counts.crm;
    if (run.syncCrm) line(ctx.io, `crm           ${crm ? `${crm.queued} HubSpot updates queued, ${crm.alreadyQueued} already queued, ${crm.noEmail} without email` : 'not reached'}`);
    line(ctx.io, `${run.status}${run.status === 'done' ? ` in ${duration(Math.round(took))}` : ''}`);
  }
  if (run.status === 'done') return 0;
  if (!ctx.json) {
    const why = run.status === 'interrupted' ? 'interrupted' : `failed: ${run.error ?? 'unknown error'}`;
    ctx.io.err(`backfill ${why}\n  fix: run the same command again to resume from the last checkpoint (--restart starts over)\n`);
  }
  return 1;
}

function kindLine(c: KindCounts | undefined): string {
  if (!c) return 'not read';
  return `${c.seen} read: ${c.applied} applied, ${c.stale} stale, ${c.ignored} ignored, ${c.duplicate} duplicate, ${c.skipped} skipped`;
}

/** One status line on a terminal, redrawn in place: what each kind has read so far. Quiet when stderr is not a TTY. */
function progressLine(ctx: CommandContext) {
  let shown = false;
  return {
    draw(run: Partial<BackfillRun>) {
      if (!ctx.io.stderrIsTTY || ctx.json) return;
      const parts = KINDS.map((k) => {
        const cur = run.cursors?.[k];
        return `${k} ${cur?.seen ?? 0}${cur?.done ? ' ✓' : cur ? '…' : ''}`;
      });
      if (run.cursors?.crm) parts.push(`crm ${run.cursors.crm.seen}${run.cursors.crm.done ? ' ✓' : '…'}`);
      ctx.io.err(`\r\x1b[Kbackfill stripe: ${parts.join(' · ')}`);
      shown = true;
    },
    clear() {
      if (shown) ctx.io.err('\r\x1b[K');
      shown = false;
    },
  };
}

