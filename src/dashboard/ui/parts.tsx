import type { Child } from 'hono/jsx';
import { CsrfField, type PageCtx } from './layout.js';

/** `2026-01-31 14:05:09 UTC` in a <time> element (machine-readable ISO in datetime). */
export function Time(props: { at: Date | string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const d = props.at instanceof Date ? props.at : new Date(props.at);
  if (Number.isNaN(d.getTime())) return <span class="muted">—</span>;
  const iso = d.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time>;
}

/** "3 min", "2 h 5 min", "4 days": a human age from seconds. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} days`;
}

export const fmt = (n: number) => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`;

/** A status word with its colour class; the class is built from [a-z_] only, whatever the value. */
export function Badge(props: { value: string | null | undefined }) {
  const v = props.value ?? '—';
  return <span class={`badge s-${v.toLowerCase().replace(/[^a-z_]/g, '')}`}>{v.replace(/_/g, ' ')}</span>;
}

/** A path with its query string; empty values are left out. */
export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Short one-line JSON for a provider's answer (already escaped by JSX when rendered). */
export function oneLine(v: unknown, max = 200): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A one-button POST form carrying the CSRF token and where to come back to. */
export function ActionButton(props: { ctx: PageCtx; action: string; back: string; label: string; describedBy?: string; class?: string; name?: string; value?: string }) {
  return (
    <form class="inline" method="post" action={props.action}>
      <CsrfField ctx={props.ctx} />
      <input type="hidden" name="back" value={props.back} />
      <button type="submit" class={props.class} aria-describedby={props.describedBy} name={props.name} value={props.value}>
        {props.label}
      </button>
    </form>
  );
}

/** Newer/older links for keyset paging (no JavaScript). */
export function Pager(props: { newer?: string; older?: string; label: string }) {
  if (!props.newer && !props.older) return <></>;
  return (
    <nav class="pager" aria-label={props.label}>
      {props.newer ? <a href={props.newer}>← Newest</a> : <span />}
      {props.older ? <a href={props.older}>Older →</a> : <span />}
    </nav>
  );
}

export function Notice(props: { text?: string }) {
  return props.text ? (
    <p class="notice" role="status">
      {props.text}
    </p>
  ) : (
    <></>
  );
}

export function Empty(props: { children: Child }) {
  return <p class="muted">{props.children}</p>;
}

/** A labelled filter <select> whose first option, "any", sends an empty value (no filter). */
export function FilterSelect(props: { label: string; name: string; options: readonly string[]; selected?: string; show?: (value: string) => string }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">any</option>
        {props.options.map((v) => (
          <option value={v} selected={v === props.selected}>
            {props.show ? props.show(v) : v}
          </option>
        ))}
      </select>
    </label>
  );
}
