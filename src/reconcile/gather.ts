import { sql, type Queryable } from '../db/index.js';
import type { JobState, LocalCustomer } from './types.js';

interface Row {
  id: string;
  email: string | null;
  lifecycle: LocalCustomer['lifecycle'];
  support: LocalCustomer['support'];
  updated_at: Date;
  stripe_customers: string[];
  last_stripe_event_at: Date | null;
  crm_job_id: number | null;
  crm_status: JobState | null;
  crm_at: Date | null;
  crm_custom_missing: boolean;
  crm_in_flight: boolean;
  ticket_job_id: number | null;
  ticket_status: JobState | null;
  ticket_at: Date | null;
  ticket_in_flight: boolean;
  tickets: Array<{ id: string; status: 'open' | 'solved' | 'closed' | null; status_at: string | null }>;
  support_since: Date | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

/**
 * One page of live customers in id order, with everything the comparison needs from Handoff's side
 * (listReconcileCustomers.sql: one query per page). `after` is the previous page's last id ('' first).
 */
export async function customerPage(q: Queryable, after: string, size: number, onlyId: string | null): Promise<LocalCustomer[]> {
  const { rows } = await q.query<Row>(sql.listReconcileCustomers, [after, size, onlyId]);
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    lifecycle: r.lifecycle,
    support: r.support,
    updatedAt: new Date(r.updated_at),
    stripeCustomers: r.stripe_customers ?? [],
    lastStripeEventAt: date(r.last_stripe_event_at),
    crmJob: r.crm_job_id === null ? null : { id: Number(r.crm_job_id), status: r.crm_status!, at: new Date(r.crm_at!), customPropertiesMissing: r.crm_custom_missing },
    crmInFlight: r.crm_in_flight,
    ticketJob: r.ticket_job_id === null ? null : { id: Number(r.ticket_job_id), status: r.ticket_status!, at: new Date(r.ticket_at!) },
    ticketInFlight: r.ticket_in_flight,
    tickets: (r.tickets ?? []).map((t) => ({ id: t.id, status: t.status, statusAt: date(t.status_at) })),
    supportSince: date(r.support_since),
  }));
}
