import { readFileSync } from 'node:fs';
import type { RehearsalReport } from '../../rehearse/index.js';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { configOf, SERVER_OPTION, WHERE_DATA_COMES_FROM } from '../context.js';
import { networkReason } from '../data/api.js';
import { CliError, DataAccessError, EXIT, UsageError } from '../errors.js';
import { json, line, progress, type Progress } from '../io.js';

/** A rehearsal replays the whole inbox; through the admin API the answer streams, so only silence is a failure. */
const API_IDLE_TIMEOUT_MS = 120_000;

/**
 * `handoff rehearse --since DATE [--config FILE]`: what a changed state table or HubSpot lifecycle map would
 * have done with the events already received, without doing any of it. Exit 0: no differences; 1: the
 * candidate changes something (or, without --config, the replay does not reproduce reality); 2: bad usage
 * or config file (every bad field named by its path); 3: the data is out of reach.
 */
export const rehearseCommand: Command = {
  name: 'rehearse',
  summary: 'preview a changed state table or HubSpot lifecycle map against the events already received',
  usage: '--since DATE [--config FILE]',
  details: `Replays every stored inbox event, in the order it was recorded, into a scratch schema that is dropped
afterwards: events received before --since rebuild the starting state with the current table, events since
then are decided by the candidate. Nothing leaves: no job is dispatched, reality is only read. Prints the
customers whose lifecycle/support would differ (actual → rehearsed), the effects (jobs) that would be added
or dropped, HubSpot properties the next contact sync would push differently, and the events decided
differently. Without --config it rehearses the current configuration: a self-check whose diff must be empty.

DATE: 2026-11-01, 2026-11-01T12:00:00Z, or a span back from now: 7d, 12h, 30m.
FILE (JSON; every key optional):
  {"description": "refunds churn the customer",
   "rules": {"change": {"refund": {"to": "churned", "effects": ["crm_sync", "slack_refund", "slack_churned"]}},
             "remove": ["trial_ending"],
             "add": [{"name": "vip", "on": ["user.activated"], "from": "any", "effects": ["crm_sync"], "before": "profile"}]},
   "hubspotLifecycleMap": {"churned": "other"}}
  or {"table": [ …every rule… ]} to replace the table. Rules: name, on (event kinds), from ("any" or states),
  to?, support?, effects, why?. First matching rule wins.

Exit codes: 0 no differences, 1 differences found, 2 bad usage or config file, 3 data out of reach,
130 interrupted (the scratch schema is dropped).

${WHERE_DATA_COMES_FROM}`,
  options: {
    since: { type: 'string', value: 'DATE', description: 'events received since DATE are decided by the candidate (required)' },
    config: { type: 'string', value: 'FILE', description: 'the candidate (JSON); default: the current configuration (a self-check)' },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    const rawSince = str(ctx.values, 'since');
    if (!rawSince) throw new UsageError('rehearse needs --since DATE (2026-11-01, or 7d for the last seven days)');
    const file = str(ctx.values, 'config');
    const value = file === undefined ? {} : readConfigFile(file);
    const config = await configOf(ctx);
    const r = await import('../../rehearse/index.js');
    const { BadRequestError } = await import('../../errors.js');
    let since: Date;
    let candidate: ReturnType<typeof r.candidateOf>;
    try {
      since = r.parseSince(rawSince, new Date());
      candidate = r.candidateOf(value, r.currentOf(config)); // checked here too: a bad file is exit 2 whichever way we go
    } catch (err) {
      if (err instanceof BadRequestError) throw new UsageError(`${file ? `${file}: ` : ''}${err.message}`);
      throw err;
    }

    // Drawn once the total is known (the first progress report); nothing on a non-TTY stderr.
    let bar: Progress | undefined;
    const onProgress = (done: number, total: number) => {
      if (total <= 0) return;
      bar ??= progress(ctx.io, total, 'rehearsing');
      bar.update(done, 'events');
    };
    // Loaded here: the database drivers are heavy and --help must stay instant.
    const { reachData } = await import('../data/reach.js');
    const access = await reachData(config, { url: str(ctx.values, 'url') ?? (ctx.io.env.HANDOFF_URL?.trim() || undefined) });
    let report: RehearsalReport;
    let via: string;
    if (access.kind === 'api') {
      via = `the admin API at ${access.base}`;
      report = await viaApi(access.base, config.adminToken, { since: since.toISOString(), config: value }, onProgress).finally(() => bar?.clear());
    } else {
      via = access.db.describe;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      try {
        const { createConnectors } = await import('../../connectors/index.js');
        const enabledConnectors = new Set(createConnectors(config).keys());
        report = await r.runRehearsal(access.db, config, { enabledConnectors, maxAttempts: config.dispatcher.maxAttempts }, { since, candidate }, { signal: abort.signal, onProgress });
      } catch (err) {
        if (err instanceof r.RehearsalAborted) throw new CliError(err.message, { exitCode: 130 });
        throw err;
      } finally {
        process.off('SIGINT', stop);
        bar?.clear();
        await access.db.close();
      }
    }

    // stderr in both modes: --json keeps stdout one document.
    ctx.io.err(`rehearsed on ${via}\n`);
    if (ctx.json) json(ctx.io, report);
    else for (const l of r.renderReport(report)) line(ctx.io, l);
    return report.differences === 0 ? EXIT.ok : EXIT.failed;
  },
};

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** POST /api/admin/rehearse and read its NDJSON answer: progress lines, then the report or the error. */
async function viaApi(base: string, token: string | undefined, body: { since: string; config: unknown }, onProgress: (done: number, total: number) => void): Promise<RehearsalReport> {
  if (!token) {
    throw new DataAccessError(`the rehearsal runs on the server at ${base}, but HANDOFF_ADMIN_TOKEN is not set`, 'set HANDOFF_ADMIN_TOKEN to the admin token the server runs with');
  }
  const abort = new AbortController();
  let idle = setTimeout(() => abort.abort(), API_IDLE_TIMEOUT_MS);
  const alive = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(), API_IDLE_TIMEOUT_MS);
  };
  // Ctrl-C closes the connection; the server stops the rehearsal and drops its scratch schema.
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    let res: Response;
    try {
      res = await fetch(`${base}/api/admin/rehearse`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: abort.signal,
      });
    } catch (err) {
      throw new DataAccessError(`no Handoff server answered at ${base} (${networkReason(err)})`, 'start Handoff, or set HANDOFF_URL to the address of the running server', err);
    }
    if (!res.ok) {
      const text = await res.text();
      let parsed: { message?: string } | undefined;
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      if (res.status === 401) throw new CliError(`the server at ${base} refused the admin token`, { fix: 'set HANDOFF_ADMIN_TOKEN to the token the server runs with' });
      if (res.status === 404) throw new CliError(`the server at ${base} has no rehearse route (POST /api/admin/rehearse → 404)`, { fix: 'upgrade that Handoff server' });
      if (res.status === 400) throw new UsageError(parsed?.message ?? 'the server refused the request');
      throw new CliError(`the server answered ${res.status}: ${parsed?.message ?? 'not a Handoff answer'}`);
    }
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      alive();
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const l = JSON.parse(buffered.slice(0, nl)) as { progress?: { done: number; total: number }; report?: RehearsalReport; error?: { message: string } };
        buffered = buffered.slice(nl + 1);
        if (l.progress) onProgress(l.progress.done, l.progress.total);
        if (l.report) return l.report;
        if (l.error) throw new CliError(`the server could not finish the rehearsal: ${l.error.message}`);
      }
    }
    throw new CliError(`the server at ${base} closed the connection before the rehearsal finished`);
  } catch (err) {
    if (abort.signal.aborted && !(err instanceof CliError)) {
      throw new CliError('the rehearsal was interrupted (Ctrl-C, or the server went silent); the server drops its scratch schema', { exitCode: 130 });
    }
    throw err;
  } finally {
    clearTimeout(idle);
    process.off('SIGINT', stop);
  }
}
