import type { AppConfig } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { DriftReport } from '../../reconcile/index.js';
import { int, str } from '../args.js';
import type { Command } from '../command.js';
import { configOf, SERVER_OPTION, WHERE_DATA_COMES_FROM } from '../context.js';
import { adminClient } from '../data/api.js';
import { reachData } from '../data/reach.js';
import { CliError } from '../errors.js';
import { oneLine, plural, table, timestamp } from '../format.js';
import { json, line, progress, type Io, type Progress } from '../io.js';

/** A run through a server answers after the whole run (one customer at a time, paced reads). */
const API_TIMEOUT_MS = 30 * 60_000;

interface RunInput {
  fix: boolean;
  customer?: string;
  limit?: number;
}

/** How this command runs reconcile: in this process on the database, or through a server's admin API. */
interface Runner {
  via: string;
  run(input: RunInput, io: Io): Promise<DriftReport>;
  close(): Promise<void>;
}

/** `handoff reconcile`: compare every customer with Stripe, HubSpot and Zendesk; --fix heals the drift. */
export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'find customers whose state differs from Stripe, HubSpot or Zendesk (--fix heals them)',
  details: `Compares, per customer, Handoff's state with Stripe's current subscription status (STRIPE_SECRET_KEY),
the HubSpot contact (present? ${'`'}HUBSPOT_STATE_PROPERTY${'`'}, handoff_support, lifecyclestage not behind) and, for customers
who need support, their Zendesk tickets (is one still open?). Each difference is printed with since when and its
likely cause: missed webhook, manual CRM edit, failed job (or never synced).
--fix heals through the pipeline: Stripe wins for billing (a synthetic Stripe event with a deterministic id,
recorded like a webhook, so running it twice changes nothing), Handoff wins for the CRM (a HubSpot job through
the outbox), Zendesk wins for ticket status; each fix is explained in the customer's timeline.
Exit status: 0 no drift (or all of it fixed), 1 drift left or a provider could not be read, 2 usage, 3 no data.

${WHERE_DATA_COMES_FROM}`,
  options: {
    fix: { type: 'boolean', description: 'heal what differs (default: report only)' },
    customer: { type: 'string', value: 'REF', description: "one customer: Handoff's id, an email or a linked id (cus_…)" },
    limit: { type: 'string', value: 'N', description: 'at most N customers, in id order' },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    const input: RunInput = {
      fix: ctx.values.fix === true,
      customer: str(ctx.values, 'customer')?.trim() || undefined,
      limit: int(ctx.values, 'limit', 1, 1_000_000),
    };
    const config = await configOf(ctx);
    const runner = await connect(config, str(ctx.values, 'url') ?? (ctx.io.env.HANDOFF_URL?.trim() || undefined));
    let report: DriftReport;
    try {
      report = await runner.run(input, ctx.io);
    } finally {
      await runner.close();
    }
    const left = report.driftCount - report.fixedCount;
    if (ctx.json) json(ctx.io, { via: runner.via, report });
    else render(ctx.io, report, runner.via);
    return left > 0 || report.errors.length > 0 ? 1 : 0;
  },
};

function render(io: Io, r: DriftReport, via: string): void {
  const compared = Object.entries(r.providers)
    .filter(([, on]) => on)
    .map(([p]) => p);
  io.err(`checked ${plural(r.customersChecked, 'customer')} against ${compared.length ? compared.join(', ') : 'no provider'} (report ${r.id}, ${via})\n`);
  for (const e of r.errors) io.err(`✗ could not read ${e.message}\n`);
  if (!compared.length && !r.errors.length) io.err('nothing to compare: configure STRIPE_SECRET_KEY, HUBSPOT_ACCESS_TOKEN or ZENDESK_* in this environment\n');
  if (r.driftCount === 0) {
    line(io, 'no drift');
    return;
  }
  const rows = table(
    r.entries.map((e) => [
      e.email ?? e.customerId,
      e.provider,
      e.field,
      `handoff ${e.handoffValue ?? '-'} / ${e.provider} ${e.providerValue ?? '-'}`,
      e.cause.replace(/_/g, ' '),
      e.providerSince ? `since ${timestamp(new Date(e.providerSince).toISOString())}` : e.handoffSince ? `ours since ${timestamp(new Date(e.handoffSince).toISOString())}` : '',
    ]),
  );
  r.entries.forEach((e, i) => {
    line(io, rows[i]!);
    line(io, `    ${oneLine(e.explanation, 300)}`);
    if (e.fix) line(io, `    ${e.fix.fixed ? 'fixed' : 'not fixed'}: ${oneLine(e.fix.action, 300)}`);
  });
  const customers = new Set(r.entries.map((e) => e.customerId)).size;
  const left = r.driftCount - r.fixedCount;
  line(io, `${plural(r.driftCount, 'difference')} for ${plural(customers, 'customer')}${r.fix ? `: ${r.fixedCount} fixed, ${left} left` : '; run with --fix to heal them'}`);
}

/** Same order as every data command (see WHERE_DATA_COMES_FROM): a named server, PostgreSQL, a local server, the embedded database. */
async function connect(config: AppConfig, url: string | undefined): Promise<Runner> {
  const target = await reachData(config, { url });
  return target.kind === 'api' ? apiRunner(target.base, config.adminToken) : directRunner(config, target.db);
}

async function directRunner(config: AppConfig, open: Database): Promise<Runner> {
  const { systemClock, systemIds } = await import('../../clock.js');
  const { enabledConnectors, providerReaders, runReconcile } = await import('../../reconcile/index.js');
  return {
    via: open.describe,
    async run(input, io) {
      let bar: Progress | undefined;
      try {
        return await runReconcile(
          {
            db: open,
            config,
            readers: providerReaders(config),
            record: { clock: systemClock, ids: systemIds, enabledConnectors: enabledConnectors(config), maxAttempts: config.dispatcher.maxAttempts },
            clock: systemClock,
            ids: systemIds,
          },
          { trigger: 'cli', runBy: 'cli', ...input, onProgress: (done, total) => (bar ??= progress(io, total, 'reconciling')).update(done) },
        );
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) throw new CliError((err as Error).message);
        throw err;
      } finally {
        bar?.clear();
      }
    },
    close: () => open.close(),
  };
}

function apiRunner(base: string, token: string | undefined): Runner {
  const call = adminClient(base, token, { timeoutMs: API_TIMEOUT_MS });
  return {
    via: `the admin API at ${base}`,
    async run(input) {
      const body = { ...(input.customer ? { customer: input.customer } : {}), ...(input.limit ? { limit: input.limit } : {}) };
      return (await call<{ report: DriftReport }>('POST', `/api/drift/${input.fix ? 'fix' : 'run'}`, body)).report;
    },
    close: async () => {},
  };
}
