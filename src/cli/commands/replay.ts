import { readFileSync } from 'node:fs';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { configOf } from '../context.js';
import { networkReason } from '../data/api.js';
import { CliError, UsageError } from '../errors.js';
import { oneLine } from '../format.js';
import { json, line, progress } from '../io.js';

/** Per request: a Handoff instance answers a webhook after one transaction. */
const TIMEOUT_MS = 30_000;
const MAX_PROBLEMS_SHOWN = 10;

export type ReplayOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface ReplayResult {
  line: number;
  id: string;
  type: string;
  outcome: ReplayOutcome;
  /** HTTP status; absent when no answer came. */
  status?: number;
  error?: string;
}

interface ParsedEvent {
  line: number;
  id: string;
  type: string;
  /** The line exactly as in the file: what is signed and sent. */
  body: string;
}

/**
 * `handoff replay FILE --url URL`: Stripe events (JSON lines, as exported from Stripe's event log) signed
 * with STRIPE_WEBHOOK_SECRET and POSTed in file order to URL/api/webhooks/stripe. The whole file is
 * checked before anything is sent. Stops at the first event that gets no answer at all (the rest are
 * reported as not sent). Exit 1 when any event was rejected or not sent.
 */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'sign and POST Stripe events from a JSON-lines file to an instance, in order',
  usage: 'FILE --url URL',
  positionals: [1, 1],
  details: `Each line is one Stripe event object ({"id":"evt_…","type":"…","data":{…}}), e.g. from Stripe's event log.
Each is signed with STRIPE_WEBHOOK_SECRET (the first one, during a rotation) exactly as Stripe signs, and sent to
URL/api/webhooks/stripe. A second replay of the same file reports duplicates: Handoff records each event id once.
Point it at a staging or local instance that uses the same signing secret.`,
  options: {
    url: { type: 'string', value: 'URL', description: 'the Handoff instance (default: HANDOFF_URL)' },
  },
  async run(ctx) {
    const url = str(ctx.values, 'url') ?? (ctx.io.env.HANDOFF_URL?.trim() || undefined);
    if (!url) throw new UsageError('replay needs --url URL (or HANDOFF_URL): the instance to send the events to');
    const endpoint = webhookUrl(url);
    const secret = (await configOf(ctx)).stripe.webhookSecrets[0];
    if (!secret) throw new CliError('STRIPE_WEBHOOK_SECRET is not set: replay signs every event with it', { fix: 'set STRIPE_WEBHOOK_SECRET to the signing secret of the target instance' });
    const events = parseFile(ctx.positionals[0]!);

    const { default: Stripe } = await import('stripe');
    const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const results: ReplayResult[] = [];
    const bar = progress(ctx.io, events.length, 'replaying');
    let stopped: string | undefined;
    for (const [i, ev] of events.entries()) {
      bar.update(i, ev.id);
      const r = await send(endpoint, ev, sign);
      results.push(r);
      if (!ctx.json) {
        bar.clear();
        line(ctx.io, `${String(i + 1).padStart(String(events.length).length)}/${events.length}  ${ev.id}  ${ev.type}  ${describe(r)}`);
      }
      if (r.status === undefined) {
        stopped = r.error;
        break;
      }
    }
    bar.clear();
    const count = (o: ReplayOutcome) => results.filter((r) => r.outcome === o).length;
    const summary = { events: events.length, accepted: count('accepted'), duplicate: count('duplicate'), rejected: count('rejected'), notSent: events.length - results.length };
    if (ctx.json) json(ctx.io, { url: endpoint, summary, results });
    else {
      line(ctx.io, `${summary.events} events → ${endpoint}: ${summary.accepted} accepted, ${summary.duplicate} duplicate, ${summary.rejected} rejected${summary.notSent ? `, ${summary.notSent} not sent` : ''}`);
      if (stopped) ctx.io.err(`stopped: the instance did not answer (${stopped}); start it or check --url, then replay again (events already recorded come back as duplicates)\n`);
    }
    return summary.rejected || summary.notSent ? 1 : 0;
  },
};

function webhookUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url must start with http:// or https://`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}/api/webhooks/stripe`;
}

/** Every line checked before anything is sent: a broken file sends nothing. */
function parseFile(file: string): ParsedEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const events: ParsedEvent[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const body = raw.trim();
    if (body === '') return;
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const o = v as { id?: unknown; type?: unknown; object?: unknown };
    if (!o || typeof o !== 'object' || Array.isArray(o) || typeof o.id !== 'string' || typeof o.type !== 'string' || (o.object !== undefined && o.object !== 'event')) {
      problems.push(`line ${i + 1}: not a Stripe event (an object with "id" and "type")`);
      return;
    }
    events.push({ line: i + 1, id: o.id, type: o.type, body });
  });
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `  ${p}`).join('\n');
    const more = problems.length > MAX_PROBLEMS_SHOWN ? `\n  … and ${problems.length - MAX_PROBLEMS_SHOWN} more` : '';
    throw new CliError(`${file} has ${problems.length} bad line(s); nothing was sent:\n${shown}${more}`, { fix: 'one Stripe event object per line (JSON lines)' });
  }
  if (events.length === 0) throw new CliError(`${file} holds no events; nothing was sent`);
  return events;
}

async function send(endpoint: string, ev: ParsedEvent, sign: (payload: string) => string): Promise<ReplayResult> {
  const base = { line: ev.line, id: ev.id, type: ev.type };
  const signature = sign(ev.body);
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: ev.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    return { ...base, outcome: 'rejected', error: networkReason(err) };
  }
  const text = await res.text();
  let body: { duplicate?: unknown; error?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (res.ok && body && typeof body.duplicate === 'boolean') return { ...base, outcome: body.duplicate ? 'duplicate' : 'accepted', status: res.status };
  const error = body && typeof body.message === 'string' ? body.message : res.ok ? 'not a Handoff answer' : oneLine(text, 160) || res.statusText;
  return { ...base, outcome: 'rejected', status: res.status, error };
}

function describe(r: ReplayResult): string {
  if (r.status === undefined) return `rejected: no answer (${r.error})`;
  return r.outcome === 'rejected' ? `rejected (${r.status}): ${oneLine(r.error ?? '', 200)}` : `${r.outcome} (${r.status})`;
}
