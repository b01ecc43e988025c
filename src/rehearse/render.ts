import type { RehearsalReport } from './rehearse.js';
import type { State } from './diff.js';

/** Lines per section before "… and N more" (--json has everything). */
const SHOWN = 50;

const st = (s: State | null) => (s ? `${s.lifecycle}${s.support === 'none' ? '' : ` + ${s.support}`}` : '(no customer)');

/** The report as text for a terminal: what the candidate changes, then each kind of difference. */
export function renderReport(r: RehearsalReport): string[] {
  const out: string[] = [];
  const { events, decidedByCandidate, notReplayed } = r.replayed;
  out.push(
    r.selfCheck
      ? `Rehearsed the CURRENT configuration (no --config, or one that changes nothing): a self-check. Any difference below means the replay does not reproduce what happened.`
      : `Candidate: ${r.candidate.description ? `${r.candidate.description} — ` : ''}${r.candidate.changes.join('; ')}`,
  );
  out.push(`Replayed ${events} stored events; ${decidedByCandidate} received since ${r.since} were decided by the ${r.selfCheck ? 'current' : 'candidate'} table.`);
  if (notReplayed.length) {
    out.push(`${notReplayed.length} event(s) could not be replayed:`);
    for (const n of notReplayed.slice(0, SHOWN)) out.push(`  ${n.source} ${n.type} ${n.eventId}: ${n.reason}`);
    more(out, notReplayed.length);
  }
  out.push('');
  if (r.differences === 0) {
    out.push(r.selfCheck ? 'No differences: replaying the stored events reproduces every decision, customer state and effect.' : 'No differences: the candidate decides these events exactly as they were decided.');
    return out;
  }
  if (r.customers.length) {
    out.push(`Customers whose state would differ (${r.customers.length}), actual → rehearsed:`);
    for (const c of r.customers.slice(0, SHOWN)) out.push(`  ${c.customer.label}: ${st(c.actual)} → ${st(c.rehearsed)}`);
    more(out, r.customers.length);
  }
  const jobs = (title: string, list: RehearsalReport['jobs']['added']) => {
    if (!list.length) return;
    out.push(`${title} (${list.length}):`);
    for (const j of list.slice(0, SHOWN)) out.push(`  ${j.customer?.label ?? '(no customer)'}: ${j.connector} ${j.kind} (${j.effect}) for ${j.event.source} ${j.event.type} ${j.event.id}`);
    more(out, list.length);
  };
  jobs('Effects that would be ADDED', r.jobs.added);
  jobs('Effects that would be DROPPED', r.jobs.dropped);
  if (r.crm.length) {
    out.push(`HubSpot properties the next contact sync would push differently (${r.crm.length}):`);
    for (const c of r.crm.slice(0, SHOWN)) {
      out.push(`  ${c.customer.label}: ${Object.entries(c.properties).map(([k, [a, b]]) => `${k} ${a ?? '(none)'} → ${b ?? '(none)'}`).join(', ')}`);
    }
    more(out, r.crm.length);
  }
  if (r.decisions.length) {
    out.push(`Events decided differently (${r.decisions.length}), as recorded → as rehearsed:`);
    for (const d of r.decisions.slice(0, SHOWN)) out.push(`  ${d.event.source} ${d.event.type} ${d.event.id}: ${d.actual} → ${d.rehearsed}`);
    more(out, r.decisions.length);
  }
  return out;
}

function more(out: string[], n: number) {
  if (n > SHOWN) out.push(`  … and ${n - SHOWN} more (--json lists all)`);
}
