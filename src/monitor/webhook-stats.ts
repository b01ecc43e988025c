import { sql, type Queryable } from '../db/index.js';

/** Distinct (bucket, source, outcome) keys kept while the database cannot be written; beyond it, new keys are dropped. */
const MAX_KEYS = 5000;

/**
 * Webhook outcomes counted per time bucket in memory (the request's only cost is a Map increment) and
 * added to `webhook_stats` by `flush`, which the alerting service calls every few seconds and at stop.
 * Every web process adds its own counts, so the failure-rate rule sees all of them. A process that dies
 * loses at most one flush interval of counts. A failed flush keeps the counts for the next one.
 */
export class WebhookStats {
  private counts = new Map<string, { bucket: string; source: string; outcome: string; n: number }>();

  constructor(readonly bucketMs: number) {}

  add(source: string, outcome: string, at = Date.now()): void {
    const bucket = new Date(Math.floor(at / this.bucketMs) * this.bucketMs).toISOString();
    const key = `${bucket}\u0000${source}\u0000${outcome}`;
    const cur = this.counts.get(key);
    if (cur) cur.n++;
    else if (this.counts.size < MAX_KEYS) this.counts.set(key, { bucket, source, outcome, n: 1 });
  }

  async flush(db: Queryable): Promise<void> {
    if (this.counts.size === 0) return;
    const batch = [...this.counts.values()];
    this.counts = new Map();
    try {
      await db.query(sql.addWebhookStats, [JSON.stringify(batch)]);
    } catch (err) {
      for (const r of batch) {
        const key = `${r.bucket}\u0000${r.source}\u0000${r.outcome}`;
        const cur = this.counts.get(key);
        if (cur) cur.n += r.n;
        else if (this.counts.size < MAX_KEYS) this.counts.set(key, r);
      }
      throw err;
    }
  }
}
