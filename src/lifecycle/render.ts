import { CONDITION_TEXT, STATE_TABLE } from './table.js';

/** The state table as Markdown, for the README (a test keeps the README's copy true). */
export function renderStateTable(): string {
  const rows = STATE_TABLE.map((r) => {
    const from = r.from === 'any' ? 'any' : r.from.join(', ');
    const to = [r.to ? `→ ${r.to}` : 'stays (new → lead)', r.support ? `support → ${r.support}` : ''].filter(Boolean).join('; ');
    const when = r.when ? ` ${CONDITION_TEXT[r.when]}` : '';
    return `| \`${r.name}\` | ${r.on.map((k) => `\`${k}\``).join(', ')}${when} | ${from} | ${to} | ${r.effects.join(', ') || '—'} | ${r.why} |`;
  });
  return ['| rule | event | from | state | effects | why |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * What made a rule's conditions hold, as the timeline recorded them (`detail.conditions`), for a rule's
 * parenthesis: "; another subscription live: sub_1 active". Empty when none were recorded.
 */
export function conditionsText(conditions: unknown): string {
  if (!conditions || typeof conditions !== 'object') return '';
  return Object.entries(conditions as Record<string, unknown>)
    .map(([name, what]) => `; ${name.replaceAll('_', ' ')}: ${(Array.isArray(what) ? what : [what]).map(String).join(', ')}`)
    .join('');
}
