import { CONDITION_TEXT, STATE_TABLE } from './table.js';

/** The state table as Markdown, for the README (a test keeps the README's copy true). `late`: the rule also decides late events. */
export function renderStateTable(): string {
  const rows = STATE_TABLE.map((r) => {
    const from = r.from === 'any' ? 'any' : r.from.join(', ');
    const to = [r.to ? `→ ${r.to}` : 'stays (new → lead)', r.support ? `support → ${r.support}` : ''].filter(Boolean).join('; ');
    const when = r.when ? ` ${CONDITION_TEXT[r.when]}` : '';
    return `| \`${r.name}\` | ${r.on.map((k) => `\`${k}\``).join(', ')}${when} | ${from} | ${r.late ? 'yes' : ''} | ${to} | ${r.effects.join(', ') || '—'} | ${r.why} |`;
  });
  return ['| rule | event | from | late | state | effects | why |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * What the timeline recorded beside a rule's verdict (`detail.conditions`, `detail.late`), for the rule's parenthesis:
 * "; another subscription live: sub_1 active; late: created 1700000010, older than …". Empty when nothing was.
 */
export function decisionContext(detail: Record<string, unknown>): string {
  const conditions = detail.conditions;
  const held =
    conditions && typeof conditions === 'object'
      ? Object.entries(conditions as Record<string, unknown>)
          .map(([name, what]) => `; ${name.replaceAll('_', ' ')}: ${(Array.isArray(what) ? what : [what]).map(String).join(', ')}`)
          .join('')
      : '';
  return held + (typeof detail.late === 'string' ? `; late: ${detail.late}` : '');
}
