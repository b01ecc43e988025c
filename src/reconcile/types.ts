import type { LifecycleState } from '../config/index.js';
import type { Support } from '../lifecycle/index.js';

/** Where a difference was found. */
export type DriftProvider = 'stripe' | 'hubspot' | 'zendesk';

/**
 * The likely cause of a difference (a hint for the founder, never a certainty):
 * - missed_webhook:  the provider changed after the last event Handoff received from it;
 * - held_resolution: Handoff heard the ticket was solved but held it while the ticket's own job was still queued or
 *                    running, and nothing re-checked it once the job had finished;
 * - manual_crm_edit: the CRM differs although the last CRM job succeeded (someone edited the contact);
 * - failed_job:      the last job that should have written it is dead or was skipped;
 * - never_synced:    no job ever wrote it (e.g. the customer predates the connector);
 * - unknown:         none of the above fits.
 */
export type DriftCause = 'missed_webhook' | 'held_resolution' | 'manual_crm_edit' | 'failed_job' | 'never_synced' | 'unknown';

export type JobState = 'pending' | 'running' | 'done' | 'skipped' | 'dead';

/** Handoff's side of one customer, as gather.ts reads it (one query per page of customers). */
export interface LocalCustomer {
  id: string;
  email: string | null;
  lifecycle: LifecycleState;
  support: Support;
  /** customers.updated_at: the last change on our side. */
  updatedAt: Date;
  stripeCustomers: string[];
  /** The newest Stripe event recorded for this customer (its sender time), if any. */
  lastStripeEventAt: Date | null;
  /** The newest HubSpot contact upsert and whether one is queued or running now. */
  crmJob: { id: number; status: JobState; at: Date; customPropertiesMissing: boolean } | null;
  crmInFlight: boolean;
  /** The newest Zendesk ticket job and whether one is queued or running now. */
  ticketJob: { id: number; status: JobState; at: Date } | null;
  ticketInFlight: boolean;
  /** Tickets linked to the customer (zendesk_ticket identities) with the status Handoff last heard. */
  tickets: Array<{ id: string; status: 'open' | 'solved' | 'closed' | null; statusAt: Date | null }>;
  /** When support last became needs_support (Handoff's processing time of that event); null: not on record. */
  supportSince: Date | null;
}

/** A Stripe subscription object as the API returns it (only a few fields are read). */
export type StripeSubscription = Record<string, unknown>;

export interface HubspotContactView {
  id: string;
  properties: Record<string, string | null>;
  updatedAt: Date | null;
}

export interface ZendeskTicketView {
  id: string;
  /** Zendesk's own status: new, open, pending, hold, solved, closed. */
  status: string;
  updatedAt: Date | null;
  externalId: string | null;
}

/** What the providers say about one customer; a provider left out was not compared. */
export interface ProviderViews {
  stripe?: { subscriptions: StripeSubscription[] };
  hubspot?: { contact: HubspotContactView | null };
  zendesk?: { tickets: ZendeskTicketView[] };
}

/** How --fix heals an entry. */
export type Heal =
  | { kind: 'stripe_event'; subscription: StripeSubscription; status: string; since: number }
  | { kind: 'crm_sync' }
  | { kind: 'zendesk_event'; tickets: ZendeskTicketView[] }
  | { kind: 'none'; hint: string };

export interface DriftEntry {
  customerId: string;
  email: string | null;
  provider: DriftProvider;
  field: string;
  handoffValue: string | null;
  providerValue: string | null;
  /** Last change on our side / the provider's own update time, when known. */
  handoffSince: Date | null;
  providerSince: Date | null;
  cause: DriftCause;
  explanation: string;
  heal: Heal;
}

/** What --fix did with one entry. */
export interface FixResult {
  fixed: boolean;
  /** e.g. "recorded reconcile:sub_1:past_due:1767225600 (applied)", "queued hubspot job #12". */
  action: string;
}

export interface ReportEntry extends Omit<DriftEntry, 'heal'> {
  fix: FixResult | null;
}

export interface DriftReport {
  id: string;
  trigger: 'cli' | 'api' | 'schedule';
  fix: boolean;
  runBy: string;
  startedAt: Date;
  finishedAt: Date;
  customersChecked: number;
  driftCount: number;
  fixedCount: number;
  /** True when --customer/--limit left customers out or a provider could not be read: never clears the drift alert. */
  partial: boolean;
  /** Which providers were compared (false: not configured, or unreadable this run — see errors). */
  providers: Record<DriftProvider, boolean>;
  errors: Array<{ provider: DriftProvider; message: string }>;
  entries: ReportEntry[];
}
