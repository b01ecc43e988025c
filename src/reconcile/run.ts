import type { Clock, Ids } from '../clock.js';
import type { AppConfig } from '../config/index.js';
import { sql, type Database } from '../db/index.js';
import { NotFoundError } from '../errors.js';
import { getLiveCustomer, type RecordDeps } from '../pipeline/index.js';
import { compareCustomer } from './compare.js';
import { fixEntry, type FixContext } from './fix.js';
import { customerPage } from './gather.js';
import { describeFailure, type ProviderReaders } from './providers.js';
import { saveReport } from './store.js';
import type { DriftProvider, DriftReport, LocalCustomer, ProviderViews, ReportEntry } from './types.js';

export interface ReconcileDeps {
  db: Database;
  config: Pick<AppConfig, 'hubspot'>;
  readers: ProviderReaders;
  record: RecordDeps;
  clock: Clock;
  ids: Ids;
}

export interface ReconcileOptions {
  trigger: DriftReport['trigger'];
  runBy: string;
  /** Heal what differs (see fix.ts); default false: report only. */
  fix?: boolean;
  /** One customer: Handoff's id, an email or any linked id. */
  customer?: string;
  /** At most this many customers (in id order). */
  limit?: number;
  /** After each customer: how many are done, of how many. */
  onProgress?: (done: number, total: number) => void;
  /** Aborted (a worker stopping): the run ends after the current customer and stores a partial report. */
  signal?: AbortSignal;
}

const PAGE = 100;

/**
 * One reconcile run: every live customer (or one, or the first N) compared with each configured provider,
 * one customer at a time (provider reads are sequential and paced: see providers.ts), healed when `fix`,
 * and the report stored (drift_reports / drift_entries) whatever the outcome. A provider that fails
 * (credentials, outage, rate limit beyond retries) is reported in `errors` and not asked again this run;
 * the others are still compared. Such a run, and one limited by `customer`/`limit`, is partial: it never
 * clears the drift alert.
 */
export async function runReconcile(d: ReconcileDeps, o: ReconcileOptions): Promise<DriftReport> {
  const startedAt = d.clock.now();
  const id = d.ids.uuid();
  const onlyId = o.customer === undefined ? null : await resolveCustomer(d.db, o.customer);
  const total = onlyId ? 1 : Math.min(o.limit ?? Infinity, await liveCustomers(d.db));
  const providers: Record<DriftProvider, boolean> = { stripe: !!d.readers.stripe, hubspot: !!d.readers.hubspot, zendesk: !!d.readers.zendesk };
  const errors: DriftReport['errors'] = [];
  const failed = new Set<DriftProvider>();
  const fail = (p: DriftProvider, err: unknown) => {
    failed.add(p);
    providers[p] = false;
    errors.push({ provider: p, message: describeFailure(p, err) });
  };
  const fixCtx: FixContext = { db: d.db, record: d.record, reportId: id, now: startedAt, crmJobs: new Map() };
  const entries: ReportEntry[] = [];
  let checked = 0;
  let after = '';
  const limit = o.limit ?? Infinity;
  while (checked < limit && !o.signal?.aborted) {
    const page = await customerPage(d.db, after, Math.min(PAGE, limit - checked), onlyId);
    if (page.length === 0) break;
    for (const local of page) {
      if (o.signal?.aborted) break;
      const views = await readViews(d.readers, local, failed, fail);
      for (const e of compareCustomer(local, views, compareOptions(d.config))) {
        const { heal: _heal, ...rest } = e;
        const fix = o.fix ? await fixEntry(e, { ...fixCtx, now: d.clock.now() }) : null;
        entries.push({ ...rest, fix });
      }
      checked++;
      o.onProgress?.(checked, total);
    }
    after = page[page.length - 1]!.id;
    if (onlyId) break;
  }
  const report: DriftReport = {
    id,
    trigger: o.trigger,
    fix: o.fix === true,
    runBy: o.runBy,
    startedAt,
    finishedAt: d.clock.now(),
    customersChecked: checked,
    driftCount: entries.length,
    fixedCount: entries.filter((e) => e.fix?.fixed).length,
    partial: onlyId !== null || o.limit !== undefined || errors.length > 0 || o.signal?.aborted === true,
    providers,
    errors,
    entries,
  };
  await saveReport(d.db, report);
  return report;
}

function compareOptions(config: Pick<AppConfig, 'hubspot'>) {
  return {
    stateProperty: config.hubspot?.stateProperty ?? 'handoff_lifecycle',
    lifecycleMap: config.hubspot?.lifecycleMap ?? { lead: 'lead', trial: 'opportunity', paid: 'customer', past_due: 'customer', churned: 'customer' },
  };
}

/** What each provider says about this customer; a provider that fails is dropped for the rest of the run. */
async function readViews(r: ProviderReaders, local: LocalCustomer, failed: Set<DriftProvider>, fail: (p: DriftProvider, err: unknown) => void): Promise<ProviderViews> {
  const views: ProviderViews = {};
  if (r.stripe && !failed.has('stripe') && local.stripeCustomers.length > 0) {
    try {
      const subscriptions = [];
      for (const cus of local.stripeCustomers) subscriptions.push(...(await r.stripe.subscriptionsOf(cus)));
      views.stripe = { subscriptions };
    } catch (err) {
      fail('stripe', err);
    }
  }
  if (r.hubspot && !failed.has('hubspot') && local.email && !local.crmInFlight) {
    try {
      views.hubspot = { contact: await r.hubspot.contactByEmail(local.email) };
    } catch (err) {
      fail('hubspot', err);
    }
  }
  // Only a customer who needs support is compared with the helpdesk (an open ticket never sets it: see compare.ts).
  if (r.zendesk && !failed.has('zendesk') && local.support === 'needs_support' && !local.ticketInFlight) {
    try {
      views.zendesk = { tickets: local.tickets.length ? await r.zendesk.ticketsByIds(local.tickets.map((t) => t.id)) : [] };
    } catch (err) {
      fail('zendesk', err);
    }
  }
  return views;
}

async function resolveCustomer(db: Database, ref: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(sql.findCustomerRef, [ref.trim()]);
  const live = rows[0] ? await getLiveCustomer(db, rows[0].id) : undefined;
  if (!live) throw new NotFoundError(`no customer ${JSON.stringify(ref.slice(0, 200))} (use Handoff's id, an email or a linked id such as cus_…)`);
  return live.id;
}

async function liveCustomers(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql.countCustomerStates);
  return rows.reduce((s, r) => s + Number(r.n), 0);
}
