import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process (or per test app), never the global one, so instances never collide. */
export interface Metrics {
  registry: Registry;
  eventsReceived: Counter<'source' | 'outcome'>;
  webhooksRejected: Counter<'source' | 'reason'>;
  ingestSeconds: Histogram<'source'>;
  jobsFinished: Counter<'connector' | 'status'>;
  jobAttempts: Counter<'connector' | 'result'>;
  jobSeconds: Histogram<'connector'>;
  outboxDepth: Gauge<'status'>;
  oldestPendingSeconds: Gauge;
}

export interface OutboxStats {
  byStatus: Record<string, number>;
  oldestPending: Date | null;
}

/**
 * `outbox` (optional) is read at scrape time, so the gauges are exact when Prometheus looks and cost
 * nothing in between. A failing read leaves the gauges at their last value.
 */
export function createMetrics(opts: { defaultMetrics?: boolean; outbox?: () => Promise<OutboxStats> } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'handoff_' });
  const registers = [registry];
  return {
    registry,
    eventsReceived: new Counter({ name: 'handoff_events_received_total', help: 'Verified events by source and outcome (applied, stale, ignored, duplicate)', labelNames: ['source', 'outcome'], registers }),
    webhooksRejected: new Counter({ name: 'handoff_webhooks_rejected_total', help: 'Requests refused before any write', labelNames: ['source', 'reason'], registers }),
    ingestSeconds: new Histogram({ name: 'handoff_ingest_seconds', help: 'Verify + record transaction time', labelNames: ['source'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers }),
    jobsFinished: new Counter({ name: 'handoff_jobs_finished_total', help: 'Jobs reaching a final status', labelNames: ['connector', 'status'], registers }),
    jobAttempts: new Counter({ name: 'handoff_job_attempts_total', help: 'Connector calls by result (done, retry, dead, skipped)', labelNames: ['connector', 'result'], registers }),
    jobSeconds: new Histogram({ name: 'handoff_job_seconds', help: 'Connector call duration', labelNames: ['connector'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    outboxDepth: new Gauge({
      name: 'handoff_outbox_jobs',
      help: 'Outbox jobs by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const stats = await opts.outbox?.().catch(() => undefined);
        if (!stats) return;
        for (const status of ['pending', 'running', 'done', 'skipped', 'dead']) this.set({ status }, stats.byStatus[status] ?? 0);
      },
    }),
    oldestPendingSeconds: new Gauge({
      name: 'handoff_outbox_oldest_pending_seconds',
      help: 'Age of the oldest pending job (0 when none)',
      registers,
      async collect() {
        const stats = await opts.outbox?.().catch(() => undefined);
        if (stats) this.set(stats.oldestPending ? Math.max(0, (Date.now() - stats.oldestPending.getTime()) / 1000) : 0);
      },
    }),
  };
}
