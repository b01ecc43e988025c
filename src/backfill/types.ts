/** Shapes shared by the backfill runner, its store, the admin API and the CLI (JSON-safe). */
export type StripeKind = 'customers' | 'subscriptions' | 'invoices';
export type BackfillKind = StripeKind | 'crm';
/** Read in this order; each kind completes before the next starts. */
export const STRIPE_KINDS: readonly StripeKind[] = ['customers', 'subscriptions', 'invoices'];

export type RunStatus = 'running' | 'interrupted' | 'failed' | 'done' | 'abandoned';

export interface CursorState {
  /** The last object finished: Stripe's `starting_after` (for `crm`, the last Handoff customer id). */
  startingAfter?: string | null;
  done: boolean;
  /** Objects finished so far in this kind. */
  seen: number;
}

/** What happened to the objects of one kind. `recorded` = applied + stale + ignored (new inbox rows). */
export interface KindCounts {
  seen: number;
  applied: number;
  stale: number;
  ignored: number;
  duplicate: number;
  /** Read but not recorded (no lifecycle meaning, e.g. a draft invoice). */
  skipped: number;
}

export interface CrmCounts {
  /** Customers known to Stripe that were considered. */
  customers: number;
  queued: number;
  /** The same state was already queued by an earlier run: nothing new. */
  alreadyQueued: number;
  /** HubSpot matches contacts by email; these have none. */
  noEmail: number;
}

export interface BackfillCounts {
  customers?: KindCounts;
  subscriptions?: KindCounts;
  invoices?: KindCounts;
  crm?: CrmCounts;
  /** Handoff customers this run created (first seen). */
  customersCreated?: number;
  /** Existing Handoff customers whose lifecycle or support state this run changed. */
  customersChanged?: number;
}

export interface BackfillRun {
  id: string;
  source: 'stripe';
  status: RunStatus;
  /** ISO: invoices created at or after this were read. */
  since: string;
  syncCrm: boolean;
  owner: string;
  heartbeatAt: string;
  counts: BackfillCounts;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  cursors: Partial<Record<BackfillKind, CursorState>>;
}

export function emptyKindCounts(): KindCounts {
  return { seen: 0, applied: 0, stale: 0, ignored: 0, duplicate: 0, skipped: 0 };
}
