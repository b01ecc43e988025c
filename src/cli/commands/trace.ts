import type { CustomerTrace } from '../../admin/index.js';
import { decisionContext } from '../../lifecycle/index.js';
import type { Command } from '../command.js';
import { SERVER_OPTION, WHERE_DATA_COMES_FROM, withData } from '../context.js';
import { oneLine, plural, timestamp } from '../format.js';
import { json, line } from '../io.js';

type Entry = CustomerTrace['timeline'][number];
type Ev = NonNullable<CustomerTrace['events']>[number];

/** `handoff trace <ref>`: one customer end to end — identities, state, and every event with what it caused. */
export const traceCommand: Command = {
  name: 'trace',
  summary: "one customer's identities, state and full timeline (event → transition → jobs → provider result)",
  usage: '<email | id | cus_… | user id>',
  positionals: [1, 1],
  details: `The reference may be Handoff's customer id, an email, or any linked id (Stripe cus_…, your app's user id, Clerk's user_…).\n\n${WHERE_DATA_COMES_FROM}`,
  options: { ...SERVER_OPTION },
  async run(ctx) {
    return withData(ctx, async (data) => {
      const view = await data.trace(ctx.positionals[0]!);
      if (ctx.json) json(ctx.io, view);
      else for (const l of renderTrace(view)) line(ctx.io, l);
      return 0;
    });
  },
};

interface Block {
  at: string;
  head: string;
  lines: Array<{ rank: number; at: string; text: string }>;
}

/** Within one event: what it did to the state first, then the jobs it queued, then what happened to them. */
const rankOf = (entry: Entry): number => ('job' in entry && entry.job ? 1 : entry.type === 'effect' || entry.type === 'retry' ? 2 : 0);

/** Groups the timeline under the event that caused each row, in time order; rows with no event stand alone. */
export function renderTrace(v: CustomerTrace): string[] {
  const out = [
    `Customer ${v.id}${v.email ? `  ${v.email}` : ''}${v.name ? `  (${v.name})` : ''}`,
    `  lifecycle   ${v.lifecycle}`,
    `  support     ${v.support}`,
    `  identities  ${v.identities.map((i) => `${i.kind} ${i.value}`).join(' · ') || 'none'}`,
    '',
  ];
  const groups = new Map<string, Block>();
  const loose: Block[] = [];
  const keyOf = (e: { source: unknown; id: unknown }) => `${String(e.source)}\u0000${String(e.id)}`;
  const group = (e: { source: unknown; id: unknown; type?: unknown; outcome?: unknown }, at: string, ev?: Ev): Block => {
    let g = groups.get(keyOf(e));
    if (!g) {
      g = { at, head: eventHead(e, at, ev), lines: [] };
      groups.set(keyOf(e), g);
    }
    return g;
  };
  for (const ev of v.events ?? []) group(ev, ev.at, ev);
  for (const entry of v.timeline) {
    const text = entryLine(entry);
    if (entry.event) group(entry.event, entry.at).lines.push({ rank: rankOf(entry), at: entry.at, text });
    else loose.push({ at: entry.at, head: `${timestamp(entry.at)}  ${text.trim()}`, lines: [] });
  }
  const blocks = [...groups.values(), ...loose].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  out.push(`Timeline (${plural(groups.size, 'event')}, oldest first)`);
  if (blocks.length === 0) out.push('  (nothing yet)');
  for (const b of blocks) {
    const lines = [...b.lines].sort((x, y) => x.rank - y.rank || Date.parse(x.at) - Date.parse(y.at));
    out.push(b.head, ...lines.map((l) => l.text));
  }
  return out;
}

function eventHead(e: { source: unknown; id: unknown; type?: unknown; outcome?: unknown }, at: string, ev?: Ev): string {
  const outcome = ev ? `${ev.outcome}${ev.reason && ev.outcome !== 'applied' ? `: ${oneLine(ev.reason, 120)}` : ''}` : e.outcome ? String(e.outcome) : '';
  return `${timestamp(at)}  ${String(e.source)} ${String(e.type ?? '')} ${String(e.id)}${outcome ? `  → ${outcome}` : ''}`;
}

function entryLine(entry: Entry): string {
  const pad = '    ';
  if ('job' in entry && entry.job) {
    const j = entry.job as { id: number; connector: string; kind: string; status: string; attempts: number; lastError: string | null; result: unknown };
    const result = j.result as Record<string, unknown> | null;
    const error = j.lastError ? `  last error: ${oneLine(j.lastError, 200)}` : '';
    const state =
      j.status === 'done'
        ? `done after ${plural(j.attempts, 'attempt')}${result ? `  ${oneLine(JSON.stringify(result), 160)}` : ''}`
        : j.status === 'skipped'
          ? `skipped${typeof result?.skipped === 'string' ? `: ${oneLine(result.skipped, 160)}` : result ? `  ${oneLine(JSON.stringify(result), 160)}` : ''}`
          : j.status === 'dead'
            ? `dead after ${plural(j.attempts, 'attempt')}${error}`
            : j.status === 'running'
              ? `running (attempt ${j.attempts})`
              : `pending${j.attempts ? ` after ${plural(j.attempts, 'attempt')}` : ''}${error}`;
    return `${pad}job #${j.id} ${j.connector} ${j.kind}  ${state}`;
  }
  const e = entry as { type: string; from?: string | null; to?: string | null; rule?: string | null; detail?: Record<string, unknown> };
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const support = d.support as { from?: string; to?: string } | undefined;
  const supportText = support ? `; support ${support.from} → ${support.to}` : '';
  const context = decisionContext(d);
  switch (e.type) {
    case 'transition':
      return `${pad}state ${e.from} → ${e.to} (rule ${e.rule}${context})${supportText}`;
    case 'event':
      return `${pad}state stays ${e.to} (rule ${e.rule}${context})${supportText}`;
    case 'ignored':
    case 'stale':
      return `${pad}${e.type}: ${oneLine(String(d.reason ?? ''), 200)}`;
    case 'merge':
      return `${pad}merged records ${((d.merged as string[]) ?? []).join(', ')} into this customer`;
    case 'effect':
      return `${pad}${String(d.connector ?? '')} ${String(d.kind ?? '')}: ${oneLine(String(d.note ?? ''), 200)}`;
    case 'retry':
      return `${pad}job #${String(d.job_id)} ${String(d.connector ?? '')} ${String(d.kind ?? '')} queued again by an operator${d.previous_error ? ` (had failed: ${oneLine(String(d.previous_error), 160)})` : ''}`;
    default:
      return `${pad}${e.type}${e.from || e.to ? ` ${e.from ?? ''} → ${e.to ?? ''}` : ''}${Object.keys(d).length ? ` ${oneLine(JSON.stringify(d), 160)}` : ''}`;
  }
}
