/**
 * `handoff backfill stripe`: Stripe's current customers, subscriptions and recent invoices, read through the
 * API and recorded as synthetic Stripe events through the SAME pipeline as webhooks (record(), watermarks),
 * with deterministic ids: running it twice changes nothing, and newer webhook state always wins.
 * Resumable (per-kind cursors in backfill_cursors), optionally followed by one CRM push per customer.
 * The only door to src/backfill.
 */
export { prepareBackfill, BackfillRefused, DEFAULT_SINCE_DAYS, type BackfillDeps, type BackfillOptions, type BackfillProgress, type Prepared } from './run.js';
export { getRun as getBackfillRun } from './store.js';
export { synthesize, subscriptionStatusSince, type SyntheticStripeEvent, type Synthesis, type ObjectKind } from './synthetic.js';
export { BACKFILL_TABLE } from './table.js';
export { STRIPE_KINDS, type BackfillCounts, type BackfillKind, type BackfillRun, type CrmCounts, type CursorState, type KindCounts, type RunStatus } from './types.js';
export { parseBackfillRequest, parseSince, type BackfillRequest } from './request.js';
