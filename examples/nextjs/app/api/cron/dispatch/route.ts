import { timingSafeEqual } from 'node:crypto';
import { handoff } from '../../../../lib/handoff';

// Optional: the dispatcher as a cron route, for hosts without a long-running `handoff worker`.
// Call it every minute with `Authorization: Bearer $CRON_SECRET` (Vercel Cron sends exactly that).
// Each call delivers the due outbox jobs for at most HANDOFF_CRON_MAX_MS (default 10 s).
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

function authorized(header: string | null): boolean {
  const secret = process.env.CRON_SECRET;
  if (!secret || !header) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(`Bearer ${secret}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function dispatch(request: Request): Promise<Response> {
  if (!process.env.CRON_SECRET) {
    return Response.json({ error: 'not_configured', message: 'set CRON_SECRET to enable this route' }, { status: 404 });
  }
  if (!authorized(request.headers.get('authorization'))) {
    return Response.json({ error: 'unauthorized', message: 'send Authorization: Bearer <CRON_SECRET>' }, { status: 401 });
  }
  const maxMs = Number(process.env.HANDOFF_CRON_MAX_MS ?? 10_000);
  const report = await handoff.runDueJobs({ maxMs: Number.isFinite(maxMs) ? maxMs : 10_000 });
  return Response.json(report);
}

export const GET = dispatch;
export const POST = dispatch;
