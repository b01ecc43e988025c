export { createMetrics, WEBHOOK_OUTCOMES, type Metrics, type MetricsOptions, type WebhookOutcome } from './metrics.js';
export { createLogger, exitAfterLogs, flushLogs, type Logger } from './logger.js';
export { httpMetrics, outcomeOf, webhookSource, PROBE_HEADER } from './http-metrics.js';
export { createAlerting, describeRules, RULE_NAMES, type Alerting, type AlertingDeps, type RuleName } from './alerts/index.js';
export { listAlerts, type AlertsView } from './alerts/list.js';
