/** Every alert rule's name: the `rule` of incidents, `/api/alerts` and `handoff_alerts_firing{rule}`. */
export const RULE_NAMES = [
  'webhook_failure_rate',
  'oldest_pending_job',
  'dead_letter',
  'ticket_creation_failing',
  'connector_circuit_open',
  'connector_paused',
  'payment_not_recovered',
  'signup_without_crm',
  'uptime',
  'drift_detected',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];
