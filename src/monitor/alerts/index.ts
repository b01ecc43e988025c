import type { Ids } from '../../clock.js';
import type { AppConfig } from '../../config/index.js';
import type { ConnectorName } from '../../connectors/types.js';
import { sql, type Database } from '../../db/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { evaluateOnce, type Evaluation } from './evaluator.js';
import { RULES, type AlertsConfig } from './rules.js';
import { probeDue, syncUptimeTargets } from './uptime.js';

export { RULE_NAMES, type RuleName } from './rule-names.js';
export { RULES, type Rule, type Finding, type AlertsConfig } from './rules.js';
export { evaluateOnce, ALERT_LOCK_KEY, type Evaluation } from './evaluator.js';
export { alertJobs, type AlertChannels, type IncidentChange } from './notify.js';

/** Webhook counts reach the database at least this often (and at every evaluation interval if shorter). */
const STATS_FLUSH_MS = 10_000;

export interface AlertingDeps {
  db: Database;
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  ids: Ids;
  /** Connectors configured in this process: alerts go to Slack when `slack` is, by email when `email` is and ALERT_EMAIL_TO is set. */
  enabled: ReadonlySet<ConnectorName>;
}

export interface Alerting {
  start(): Promise<void>;
  /** Stops the timers, waits for a running tick, writes the last webhook counts and gives up leadership. */
  stop(): Promise<void>;
}

/** The rules with their configured thresholds, in words (GET /api/alerts, the handover report). */
export function describeRules(cfg: AlertsConfig): Array<{ rule: string; threshold: string }> {
  return RULES.map((r) => ({ rule: r.name, threshold: r.threshold(cfg) }));
}

/**
 * The alerting service: three self-rescheduling timers (never overlapping themselves, unref'd):
 * - evaluation every ALERT_EVAL_INTERVAL_MS, the first one interval after start (a process that starts
 *   and stops at once never alerts);
 * - uptime probes every UPTIME_INTERVAL_MS when UPTIME_URLS is set;
 * - webhook counts flushed to the database every min(10 s, evaluation interval).
 * It runs in every web and worker process: the advisory lock and the leader row make one of them
 * evaluate, so starting it everywhere is safe, and alerting survives the loss of any one process
 * (notably a dead worker: "oldest pending job" must still fire). ALERT_EVAL_INTERVAL_MS=0 turns all of
 * it off.
 */
export function createAlerting(d: AlertingDeps): Alerting {
  const cfg = d.config.alerts;
  const log = d.logger.child({ role: 'alerts' });
  const id = `alerts-${d.ids.uuid()}`;
  const channels = {
    slack: d.enabled.has('slack'),
    emailTo: d.enabled.has('email') ? cfg.emailTo : [],
  };
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = true;

  const every = (ms: number, firstMs: number, task: () => Promise<unknown>) => {
    const schedule = (delay: number) => {
      const t = setTimeout(() => {
        timers.delete(t);
        if (stopped) return;
        const p = task().catch((err) => log.warn({ err: (err as Error).message }, 'alerting task failed; retrying at the next interval'));
        running.add(p);
        void p.finally(() => {
          running.delete(p);
          if (!stopped) schedule(ms);
        });
      }, delay);
      t.unref();
      timers.add(t);
    };
    schedule(firstMs);
  };

  const evaluate = async (): Promise<Evaluation> => {
    await d.metrics.webhookStats.flush(d.db).catch(() => undefined); // this process's counts take part
    const r = await evaluateOnce({ db: d.db, config: cfg, rules: RULES, channels, maxAttempts: d.config.dispatcher.maxAttempts, logger: log, id });
    if (r.evaluated && r.changes.length && !channels.slack && channels.emailTo.length === 0) {
      log.warn({ changes: r.changes.length }, 'alert changes recorded but no channel is configured: set SLACK_WEBHOOK_URL (or ALERT_EMAIL_TO)');
    }
    return r;
  };

  return {
    async start() {
      if (!stopped || cfg.evalIntervalMs === 0) return;
      stopped = false;
      await syncUptimeTargets(d.db, cfg.uptime.urls).catch((err) => log.warn({ err: (err as Error).message }, 'could not register UPTIME_URLS; retrying at the first probe'));
      every(cfg.evalIntervalMs, cfg.evalIntervalMs, evaluate);
      every(Math.min(STATS_FLUSH_MS, cfg.evalIntervalMs), Math.min(STATS_FLUSH_MS, cfg.evalIntervalMs), () => d.metrics.webhookStats.flush(d.db));
      if (cfg.uptime.urls.length) {
        const probeDeps = { db: d.db, urls: cfg.uptime.urls, intervalMs: cfg.uptime.intervalMs, timeoutMs: d.config.http.timeoutMs, logger: log };
        every(cfg.uptime.intervalMs, 0, async () => {
          await syncUptimeTargets(d.db, cfg.uptime.urls);
          await probeDue(probeDeps);
        });
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
      await d.metrics.webhookStats.flush(d.db).catch(() => undefined);
      await d.db.query(sql.releaseAlertEvaluation, [id]).catch(() => undefined);
    },
  };
}
