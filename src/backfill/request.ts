import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { fieldErrors } from '../events/index.js';

/** Stripe exists since 2010; an earlier --since is a typo, not a wish. */
const EARLIEST = Date.UTC(2010, 0, 1);

/**
 * `--since` / the admin API's `since`: an ISO date (2026-09-01) or date-time, or a span back from now
 * ("90d", "12h", "2w"). Returns undefined for undefined; throws BadRequestError for anything else,
 * including a future date.
 */
export function parseSince(raw: string | undefined, now: Date): Date | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const span = /^(\d{1,5})\s*([hdw])$/i.exec(text);
  let at: number;
  if (span) {
    const unit = { h: 3_600_000, d: 86_400_000, w: 604_800_000 }[span[2]!.toLowerCase() as 'h' | 'd' | 'w'];
    at = now.getTime() - Number(span[1]) * unit;
  } else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    // Date.parse rolls 2026-02-31 over into March; a calendar date that does not exist is a typo.
    const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) at = NaN;
  } else {
    throw new BadRequestError(`since must be a date (2026-09-01), a date-time (2026-09-01T12:00:00Z) or a span back from now (90d, 12h, 2w); got ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!Number.isFinite(at)) throw new BadRequestError(`since is not a real date: ${JSON.stringify(text.slice(0, 40))}`);
  if (at > now.getTime()) throw new BadRequestError('since is in the future: nothing would be read');
  if (at < EARLIEST) throw new BadRequestError('since is before 2010: Stripe has nothing older');
  return new Date(at);
}

const Body = z.strictObject({
  since: z.string().max(64).optional(),
  syncCrm: z.boolean().optional(),
  restart: z.boolean().optional(),
});

export interface BackfillRequest {
  since?: Date;
  syncCrm: boolean;
  restart: boolean;
}

/** POST /api/admin/backfill's body; every problem is a 400 naming the field. */
export function parseBackfillRequest(body: unknown, now: Date): BackfillRequest {
  const r = Body.safeParse(body ?? {});
  if (!r.success) throw new BadRequestError('invalid backfill request: expected {"since"?: date, "syncCrm"?: boolean, "restart"?: boolean}', fieldErrors(r.error.issues));
  return { since: parseSince(r.data.since, now), syncCrm: r.data.syncCrm === true, restart: r.data.restart === true };
}
