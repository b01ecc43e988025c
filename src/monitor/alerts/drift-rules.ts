import { sql } from '../../db/index.js';
import type { Rule } from './rules.js';

/**
 * drift_detected: the newest scheduled reconcile (RECONCILE_INTERVAL_MS) found customers whose state
 * differs from Stripe, the CRM or the helpdesk, and no later complete report (a --fix, a manual check of
 * every customer) found everything in order. Resolves with such a report. One incident at a time ('').
 */
const driftDetected: Rule = {
  name: 'drift_detected',
  threshold: () => 'a scheduled reconcile found drift (RECONCILE_INTERVAL_MS)',
  async evaluate(q) {
    const { rows } = await q.query<{ id: string; finished_at: Date; drift: number; customers: number; by_provider: Record<string, number> | null }>(sql.alertDriftDetected);
    const r = rows[0];
    if (!r) return [];
    const where = Object.entries(r.by_provider ?? {})
      .map(([p, n]) => `${p} ${n}`)
      .join(', ');
    return [
      {
        subject: '',
        title: 'Customer state drifted from the providers',
        summary: `Reconcile found ${r.drift} difference${r.drift === 1 ? '' : 's'} for ${r.customers} customer${r.customers === 1 ? '' : 's'}${where ? ` (${where})` : ''} at ${new Date(r.finished_at).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        action: '`handoff reconcile` shows each difference and its likely cause (missed webhook, manual CRM edit, failed job); `handoff reconcile --fix` heals them (Stripe wins for billing, Handoff for the CRM).',
        detail: { report_id: r.id, drift: r.drift, customers: r.customers },
      },
    ];
  },
};

export const driftRules: readonly Rule[] = [driftDetected];
