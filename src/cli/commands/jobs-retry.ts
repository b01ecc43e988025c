import type { RetriedJob } from '../../admin/index.js';
import { CONNECTOR_NAMES } from '../../connectors/types.js';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { SERVER_OPTION, WHERE_DATA_COMES_FROM, withData } from '../context.js';
import { UsageError } from '../errors.js';
import { plural } from '../format.js';
import { json, line } from '../io.js';
import { usage } from './jobs.js';

/**
 * `handoff jobs retry <id> | --all-dead [--connector X]`: dead letters queued again. A retried job is the
 * same row with the same idempotency key (the provider dedupes by it): attempts restart at 0, it is due
 * now, and the retry appears in the customer's timeline.
 */
export const jobsRetryCommand: Command = {
  name: 'jobs retry',
  summary: 'queue dead jobs again (same idempotency key, attempts reset)',
  usage: '<id> | --all-dead [--connector NAME]',
  positionals: [0, 1],
  details: `Only dead jobs are retried; a done job is never sent again.\n\n${WHERE_DATA_COMES_FROM}`,
  options: {
    'all-dead': { type: 'boolean', description: 'retry every dead job' },
    connector: { type: 'string', value: 'NAME', description: `with --all-dead: only this connector's (${CONNECTOR_NAMES.join(' | ')})` },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    const allDead = ctx.values['all-dead'] === true;
    const connector = str(ctx.values, 'connector');
    const [rawId] = ctx.positionals;
    if (allDead === (rawId !== undefined)) throw new UsageError('give either a job id or --all-dead: handoff jobs retry <id> | --all-dead [--connector NAME]');
    if (connector && !allDead) throw new UsageError('--connector goes with --all-dead');
    const { assertConnector, parseJobId } = await import('../../admin/jobs.js');
    const id = rawId === undefined ? undefined : usage(() => parseJobId(rawId));
    if (connector) usage(() => assertConnector(connector));
    return withData(ctx, async (data) => {
      const jobs: RetriedJob[] = id === undefined ? await data.retryDeadJobs(connector) : [await data.retryJob(id)];
      if (ctx.json) {
        json(ctx.io, { retried: jobs.length, jobs });
        return 0;
      }
      if (jobs.length === 0) {
        line(ctx.io, `no dead jobs${connector ? ` for ${connector}` : ''}: nothing to retry`);
        return 0;
      }
      for (const j of jobs) line(ctx.io, `queued again: job #${j.id} ${j.connector} ${j.kind} (idempotency key ${j.idempotencyKey})`);
      if (jobs.length > 1) line(ctx.io, `${plural(jobs.length, 'dead job')} queued again; follow them with: handoff jobs --status pending`);
      return 0;
    });
  },
};
