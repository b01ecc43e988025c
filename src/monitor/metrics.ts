import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONNECTOR_NAMES } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';
import { RULE_NAMES } from './alerts/rule-names.js';
import { WebhookStats } from './webhook-stats.js';

/** Outcomes of a webhook (or app event) request, as `handoff_webhooks_total` labels them. */
export const WEBHOOK_OUTCOMES = ['accepted', 'duplicate', 'rejected_signature', 'invalid', 'error'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

const JOB_STATUSES = ['pending', 'running', 'done', 'skipped', 'dead'] as const;

/**
 * One registry per process (or per test app), never the global one, so instances never collide.
 * Counters and histograms are this process's own; the gauges `handoff_jobs`,
 * `handoff_job_oldest_pending_seconds` and `handoff_alerts_firing` are read from the database at scrape
 * time, so every process reports the same cluster-wide value (aggregate them with max, not sum).
 */
export interface Metrics {
  registry: Registry;
  /** {source, outcome}: every POST to a webhook route or /api/events (see http-metrics.ts). */
  webhooks: Counter<'source' | 'outcome'>;
  /** {route, method, status}: route is the matched route PATTERN, never the raw path. */
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  /** {connector, outcome}: outcome done | retry | dead | skipped. */
  jobAttempts: Counter<'connector' | 'outcome'>;
  /** {connector}: event received → effect confirmed (job done), observed by the dispatcher. */
  syncLag: Histogram<'connector'>;
  duplicates: Counter<'source'>;
  /** {decision, category}: every chatbot action request (rejected ones included; category `none` = unreadable body). */
  chatbotDecisions: Counter<'decision' | 'category'>;
  /** Per-bucket outcome counts waiting to be added to the database (the failure-rate alert reads them). */
  webhookStats: WebhookStats;
  /** Called when a delivery turned out to be a duplicate: counts it and labels the request's outcome. */
  noteDuplicate(req: Request, source: string): void;
  isDuplicate(req: Request): boolean;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** Source of the scrape-time gauges; without it they stay at 0. */
  db?: Queryable;
  /** The failure-rate window (ALERT_WEBHOOK_WINDOW_MS): webhook counts are kept in window/15 buckets, 1 s to 60 s. */
  webhookWindowMs?: number;
}

interface JobRow {
  connector: string;
  status: string;
  n: number;
  oldest_seconds: number | null;
}

/** A failing read leaves the scrape-time gauges empty for that scrape; /metrics still answers. */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const duplicateRequests = new WeakSet<Request>();

  // Both job gauges come from one query per scrape.
  let jobRead: Promise<JobRow[] | undefined> | undefined;
  const jobRows = () => {
    if (!opts.db) return Promise.resolve(undefined);
    jobRead ??= opts.db
      .query<JobRow>(sql.metricsJobs)
      .then((r) => r.rows, () => undefined)
      // Shared by the two gauges of ONE scrape (prom-client collects them concurrently), never reused by the next.
      .finally(() => (jobRead = undefined));
    return jobRead;
  };

  registerGauges();
  const duplicates = new Counter({ name: 'handoff_duplicates_total', help: 'Deliveries already recorded (same source and event id): answered 2xx, nothing changed', labelNames: ['source'], registers });
  return {
    registry,
    webhooks: new Counter({ name: 'handoff_webhooks_total', help: 'Webhook and app-event requests by source and outcome (accepted, duplicate, rejected_signature, invalid, error)', labelNames: ['source', 'outcome'], registers }),
    httpDuration: new Histogram({
      name: 'handoff_http_request_duration_seconds',
      help: 'HTTP request duration by matched route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    jobAttempts: new Counter({ name: 'handoff_job_attempts_total', help: 'Connector calls by outcome (done, retry, dead, skipped)', labelNames: ['connector', 'outcome'], registers }),
    syncLag: new Histogram({
      name: 'handoff_sync_lag_seconds',
      help: 'Event received → effect confirmed (job done), per connector',
      labelNames: ['connector'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400],
      registers,
    }),
    duplicates,
    chatbotDecisions: new Counter({ name: 'handoff_chatbot_decisions_total', help: 'Chatbot action requests by decision (executed, needs_review, rejected) and category', labelNames: ['decision', 'category'], registers }),
    webhookStats: new WebhookStats(Math.min(60_000, Math.max(1000, Math.round((opts.webhookWindowMs ?? 900_000) / 15)))),
    noteDuplicate(req, source) {
      duplicateRequests.add(req);
      duplicates.inc({ source });
    },
    isDuplicate: (req) => duplicateRequests.has(req),
  };

  // Registered through `registers`; the returned object does not need to hold them.
  function registerGauges() {
    new Gauge({
      name: 'handoff_jobs',
      help: 'Outbox jobs by connector and status (read from the database at scrape time)',
      labelNames: ['connector', 'status'],
      registers,
      async collect() {
        const rows = await jobRows();
        this.reset();
        if (!rows) return;
        for (const connector of CONNECTOR_NAMES) for (const status of JOB_STATUSES) this.set({ connector, status }, 0);
        for (const r of rows) this.set({ connector: r.connector, status: r.status }, r.n);
      },
    });
    new Gauge({
      name: 'handoff_job_oldest_pending_seconds',
      help: 'Age of the oldest job not yet delivered (pending or running), per connector; 0 when none',
      labelNames: ['connector'],
      registers,
      async collect() {
        const rows = await jobRows();
        this.reset();
        if (!rows) return;
        const oldest = new Map<string, number>(CONNECTOR_NAMES.map((c) => [c, 0]));
        for (const r of rows) if (r.oldest_seconds !== null) oldest.set(r.connector, Math.max(oldest.get(r.connector) ?? 0, Number(r.oldest_seconds)));
        for (const [connector, s] of oldest) this.set({ connector }, s);
      },
    });
    new Gauge({
      name: 'handoff_alerts_firing',
      help: 'Open alert incidents per rule (read from the database at scrape time)',
      labelNames: ['rule'],
      registers,
      async collect() {
        const rows = opts.db ? await opts.db.query<{ rule: string; n: number }>(sql.countOpenAlerts).then((r) => r.rows, () => undefined) : undefined;
        this.reset();
        if (opts.db && !rows) return;
        for (const rule of RULE_NAMES) this.set({ rule }, 0);
        for (const r of rows ?? []) this.set({ rule: r.rule }, r.n);
      },
    });
  }
}
