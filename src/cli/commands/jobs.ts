import type { JobSummary } from '../../admin/index.js';
import { JOB_STATUSES } from '../../admin/types.js';
import { CONNECTOR_NAMES } from '../../connectors/types.js';
import { BadRequestError } from '../../errors.js';
import { int, str } from '../args.js';
import type { Command } from '../command.js';
import { SERVER_OPTION, WHERE_DATA_COMES_FROM, withData } from '../context.js';
import { UsageError } from '../errors.js';
import { oneLine, plural, table, timestamp } from '../format.js';
import { json, line } from '../io.js';

/** `handoff jobs`: the outbox, newest first, with each job's cause and last error. */
export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'list outbox jobs (dead letters with --status dead) with their last error',
  details: `Retry dead jobs with "handoff jobs retry".\n\n${WHERE_DATA_COMES_FROM}`,
  options: {
    status: { type: 'string', value: 'STATUS', description: `${[...JOB_STATUSES, 'stuck'].join(' | ')} (stuck: running with an expired lease)` },
    connector: { type: 'string', value: 'NAME', description: CONNECTOR_NAMES.join(' | ') },
    limit: { type: 'string', value: 'N', description: 'at most N jobs, newest first (default 50, max 1000)' },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    const { parseJobFilter } = await import('../../admin/jobs.js');
    const filter = usage(() => parseJobFilter({ status: str(ctx.values, 'status'), connector: str(ctx.values, 'connector'), limit: int(ctx.values, 'limit', 1, 1000) }));
    return withData(ctx, async (data) => {
      const jobs = await data.listJobs(filter);
      if (ctx.json) {
        json(ctx.io, { jobs });
        return 0;
      }
      const what = [filter.status, filter.connector].filter(Boolean).join(', ');
      if (jobs.length === 0) {
        line(ctx.io, `no jobs${what ? ` (${what})` : ''}`);
        return 0;
      }
      ctx.io.err(`${plural(jobs.length, 'job')}${what ? ` (${what})` : ''}, newest first, from ${data.via}\n`);
      for (const l of renderJobs(jobs)) line(ctx.io, l);
      return 0;
    });
  },
};

export function renderJobs(jobs: JobSummary[]): string[] {
  const out: string[] = [];
  const rows = table(
    jobs.map((j) => [
      `#${j.id}`,
      j.stuck ? 'stuck' : j.status,
      `${j.connector} ${j.kind}`,
      `${j.attempts}/${j.maxAttempts}`,
      j.customer.email ?? j.customer.id,
      j.event ? `${j.event.source} ${j.event.type} ${j.event.id}` : '-',
      timestamp(j.updatedAt),
    ]),
  );
  jobs.forEach((j, i) => {
    out.push(rows[i]!);
    if (j.lastError && j.status !== 'done' && j.status !== 'skipped') out.push(`      last error: ${oneLine(j.lastError, 300)}`);
  });
  return out;
}

/** Bad flags found by shared validators are the user's usage mistake (exit 2), not a server answer. */
export function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadRequestError) throw new UsageError(err.message);
    throw err;
  }
}
