/** Small, pure formatting helpers for alert texts. */

/** 90_000 → "1.5 min"; 86_400_000 → "24 h"; 1500 → "1.5 s". */
export function duration(ms: number): string {
  const fmt = (n: number) => String(Number(n.toFixed(1)));
  if (ms < 60_000) return `${fmt(ms / 1000)} s`;
  if (ms < 3_600_000) return `${fmt(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${fmt(ms / 3_600_000)} h`;
  return `${fmt(ms / 86_400_000)} days`;
}

/** 0.02 → "2 %"; 0.0425 → "4.25 %". */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))} %`;
}

/** "hubspot 2, slack 1". */
export function counts(rows: ReadonlyArray<{ connector: string; n: number }>): string {
  return rows.map((r) => `${r.connector} ${r.n}`).join(', ');
}

/** A URL safe to show in a message: no credentials, query or fragment (they can hold tokens). */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Trims provider error text for a message (already redacted by providerFetch). */
export function short(text: string | null | undefined, max = 160): string {
  if (!text) return '';
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Minor units → "49.00 USD" (zero-decimal currencies such as JPY via Intl); unknown codes show the raw amount. */
export function money(amount: unknown, currency: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || typeof currency !== 'string' || !/^[a-z]{3}$/i.test(currency)) return undefined;
  const code = currency.toUpperCase();
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return `${amount} ${code}`;
  }
  return `${(amount / 10 ** digits).toFixed(digits)} ${code}`;
}
