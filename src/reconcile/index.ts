/**
 * Reconcile: find and heal drift between Handoff's customer state and the providers' (Stripe's billing
 * truth, the CRM contact, the helpdesk's tickets). The only door to src/reconcile.
 */
import type { AppConfig } from '../config/index.js';
import type { ConnectorName } from '../connectors/types.js';

export { compareCustomer, lifecycleForStatus, decidingSubscription, statusSince, type CompareOptions } from './compare.js';
export { runReconcile, type ReconcileDeps, type ReconcileOptions } from './run.js';
export { providerReaders, type ProviderReaders } from './providers.js';
export { latestReport } from './store.js';
export { createReconcileSchedule, RECONCILE_LOCK_KEY, type ReconcileSchedule, type ScheduleDeps } from './schedule.js';
export type { DriftCause, DriftEntry, DriftProvider, DriftReport, FixResult, LocalCustomer, ProviderViews, ReportEntry } from './types.js';

/** The connectors this configuration enables (what record() queues as pending rather than skipped). */
export function enabledConnectors(config: AppConfig): Set<ConnectorName> {
  const on = new Set<ConnectorName>();
  if (config.hubspot) on.add('hubspot');
  if (config.slack) on.add('slack');
  if (config.zendesk) on.add('zendesk');
  if (config.email) on.add('email');
  if (config.outbound) on.add('webhook');
  return on;
}
