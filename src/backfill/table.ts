import { STATE_TABLE, type Rule } from '../lifecycle/index.js';

/**
 * The state table a backfill decides with: the SAME rules (same transitions, same names, same order) as
 * STATE_TABLE, with every effect removed. A backfill catches state up with what Stripe says now; it must
 * not announce old news (a "new paying customer" Slack message for a customer of two years, a dunning
 * email for an invoice a webhook already handled under its own event id). The CRM is brought up to date
 * on request only (`--sync-crm`, one upsert per customer).
 */
export const BACKFILL_TABLE: readonly Rule[] = Object.freeze(STATE_TABLE.map((r) => Object.freeze({ ...r, effects: [] })));
