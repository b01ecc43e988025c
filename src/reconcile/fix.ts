import { sql, type Database } from '../db/index.js';
import { fromStripe } from '../events/stripe.js';
import { fromZendesk } from '../events/zendesk.js';
import type { DomainEvent } from '../events/types.js';
import { recordIn, type RecordDeps, type RecordResult } from '../pipeline/index.js';
import type { DriftEntry, FixResult, ZendeskTicketView } from './types.js';

export interface FixContext {
  db: Database;
  record: RecordDeps;
  reportId: string;
  now: Date;
  /** HubSpot jobs already queued by this run, per customer: several CRM entries of one customer share one job. */
  crmJobs: Map<string, number>;
}

/**
 * Heals one entry, through the same paths as live traffic, and leaves a `reconcile` timeline row saying why:
 * - billing (Stripe wins): a synthetic `customer.subscription.updated` carrying the subscription as Stripe
 *   returned it, recorded by record() with the deterministic id `reconcile:<sub>:<status>:<since>`, so a
 *   second fix of the same drift is a duplicate. Its watermark time is when Stripe was read: a webhook
 *   Stripe sent after that read still wins, anything older is stale against it.
 * - CRM (Handoff wins): a HubSpot upsert through the outbox under a fresh key per run
 *   (`crm_sync:reconcile:<report>:<customer>`), pushing the customer's state at run time.
 * - helpdesk (Zendesk wins for tickets): each ticket's status recorded like a trigger webhook, with the id
 *   `reconcile:zendesk:<ticket>:<status>:<updated_at>`; the pipeline resolves support with the last open one.
 * Nothing here calls a provider.
 */
export async function fixEntry(entry: DriftEntry, ctx: FixContext): Promise<FixResult> {
  const heal = entry.heal;
  const note = {
    message: `reconcile: ${noteText(entry)}`,
    provider: entry.provider,
    field: entry.field,
    handoff_value: entry.handoffValue,
    provider_value: entry.providerValue,
    cause: entry.cause,
    report_id: ctx.reportId,
  };
  switch (heal.kind) {
    case 'none':
      return { fixed: false, action: `not healed automatically: ${heal.hint}` };
    case 'crm_sync': {
      if (!ctx.record.enabledConnectors.has('hubspot')) return { fixed: false, action: 'HubSpot is not configured in this process' };
      const queued = ctx.crmJobs.get(entry.customerId);
      if (queued !== undefined) return { fixed: true, action: `HubSpot job #${queued} (queued for this customer by this run)` };
      const key = `crm_sync:reconcile:${ctx.reportId}:${entry.customerId}`;
      const { rows } = await ctx.db.query<{ id: number }>(sql.queueReconcileSync, [entry.customerId, key, ctx.record.maxAttempts, JSON.stringify(note)]);
      const id = rows[0]?.id;
      if (id === undefined) return { fixed: false, action: `job ${key} already exists` };
      ctx.crmJobs.set(entry.customerId, Number(id));
      return { fixed: true, action: `queued HubSpot job #${id} (pushes Handoff's state)` };
    }
    case 'stripe_event': {
      const subId = String(heal.subscription.id);
      const eventId = `reconcile:${subId}:${heal.status}:${heal.since}`;
      const envelope = {
        id: eventId,
        object: 'event',
        type: 'customer.subscription.updated',
        created: Math.floor(ctx.now.getTime() / 1000),
        livemode: heal.subscription.livemode === true,
        data: { object: heal.subscription },
        handoff_reconcile: { report_id: ctx.reportId },
      };
      const r = await recordWithNote(ctx, fromStripe(envelope), envelope, note);
      return outcome(r, eventId);
    }
    case 'zendesk_event': {
      const results: string[] = [];
      let applied = false;
      for (const t of heal.tickets) {
        const { event, body } = ticketEvent(t, ctx.now);
        const r = await recordWithNote(ctx, event, body, note);
        results.push(`#${t.id} ${t.status}: ${r.duplicate ? 'duplicate' : r.outcome}`);
        if (!r.duplicate && r.outcome === 'applied') applied = true;
      }
      return { fixed: applied, action: `recorded the tickets' status (${results.join('; ')})` };
    }
  }
}

function noteText(e: DriftEntry): string {
  if (e.provider === 'stripe') return `Stripe says ${e.providerValue}`;
  if (e.provider === 'zendesk') return `Zendesk has no open ticket (support ${e.handoffValue} → ${e.providerValue})`;
  return `HubSpot ${e.field} was ${e.providerValue ?? 'empty'}; pushed Handoff's ${e.handoffValue}`;
}

function outcome(r: RecordResult, eventId: string): FixResult {
  if (r.duplicate) return { fixed: false, action: `${eventId} was already recorded (the state changed again since: see handoff trace)` };
  if (r.outcome === 'applied') return { fixed: true, action: `recorded ${eventId} (${r.reason}; ${r.jobsQueued} job(s) queued)` };
  return { fixed: false, action: `recorded ${eventId}, ${r.outcome}: ${r.reason}` };
}

/** record() and the explaining timeline row in ONE transaction; the row only when the event changed something. */
function recordWithNote(ctx: FixContext, event: DomainEvent, payload: unknown, note: Record<string, unknown>): Promise<RecordResult> {
  return ctx.db.transaction(async (tx) => {
    const r = await recordIn(tx, event, payload, ctx.record);
    if (!r.duplicate && r.outcome === 'applied' && r.customerId && r.inboxId !== undefined) {
      await tx.query(sql.insertReconcileNote, [r.customerId, r.inboxId, JSON.stringify({ ...note, event_id: event.eventId })]);
    }
    return r;
  });
}

/** The ticket's status as a Zendesk trigger would have sent it (events/zendesk.ts maps it), under a reconcile id. */
function ticketEvent(t: ZendeskTicketView, now: Date): { event: DomainEvent; body: Record<string, unknown> } {
  const updated = (t.updatedAt ?? now).toISOString();
  const body = { ticket_id: t.id, status: t.status, external_id: t.externalId, updated_at: updated, handoff_reconcile: true };
  const event = fromZendesk(body, now);
  return { event: { ...event, eventId: `reconcile:zendesk:${t.id}:${t.status}:${updated}` }, body };
}
