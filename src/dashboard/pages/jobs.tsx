import { JOB_STATUSES } from '../../admin/index.js';
import { CONNECTOR_NAMES } from '../../connectors/types.js';
import { sql, type Queryable } from '../../db/index.js';
import { cursor, oneOf } from '../params.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { ActionButton, Badge, Empty, FilterSelect, fmt, href, Notice, oneLine, Pager, Time } from '../ui/parts.js';

const PAGE_SIZE = 50;
/** Done and skipped jobs are counted over this window; open and dead ones all. */
const RECENT_MS = 7 * 86_400_000;
const RECENT = new Set(['done', 'skipped']);
const OPEN = new Set(['pending', 'running', 'dead']);

interface Row {
  id: number;
  connector: string;
  kind: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  finished_at: Date | null;
  last_error: string | null;
  result: unknown;
  customer_id: string | null;
  email: string | null;
  inbox_id: number | null;
  source: string | null;
  event_id: string | null;
  event_type: string | null;
}

export interface JobList {
  connector?: string;
  status?: string;
  before?: number;
  counts: Map<string, Map<string, number>>;
  rows: Row[];
  more: boolean;
}

export async function loadJobs(db: Queryable, query: Record<string, string>, now: Date): Promise<JobList> {
  const connector = oneOf(query.connector, CONNECTOR_NAMES, 'connector');
  const status = oneOf(query.status, JOB_STATUSES, 'status');
  const before = cursor(query.before);
  const [counts, page] = await Promise.all([
    db.query<{ connector: string; status: string; n: number }>(sql.countJobsByConnector, [new Date(now.getTime() - RECENT_MS)]),
    // Waiting, running and dead jobs are few: read them from their own index; the rest by recency.
    db.query<Row>(status && OPEN.has(status) ? sql.listOpenJobsPage : sql.listJobsPage, [connector ?? null, status ?? null, before ?? null, PAGE_SIZE + 1]),
  ]);
  const byConnector = new Map<string, Map<string, number>>();
  for (const r of counts.rows) {
    if (!byConnector.has(r.connector)) byConnector.set(r.connector, new Map());
    byConnector.get(r.connector)!.set(r.status, r.n);
  }
  return { connector, status, before, counts: byConnector, rows: page.rows.slice(0, PAGE_SIZE), more: page.rows.length > PAGE_SIZE };
}

export function JobsPage(props: { ctx: PageCtx; list: JobList; back: string; notice?: string }) {
  const { list, ctx } = props;
  const filters = { connector: list.connector, status: list.status };
  const connectors = [...new Set([...CONNECTOR_NAMES, ...list.counts.keys()])];
  const last = list.rows[list.rows.length - 1];
  return (
    <Layout title="Jobs" ctx={ctx}>
      <Notice text={props.notice} />
      <table>
        <caption>Outbox jobs per connector and status: every job waiting, running or dead; those done or skipped in the last 7 days</caption>
        <thead>
          <tr>
            <th scope="col">Connector</th>
            {JOB_STATUSES.map((s) => (
              <th scope="col" class="num">
                {s}
                {RECENT.has(s) ? <span class="muted"> (7 days)</span> : <></>}
              </th>
            ))}
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connectors.map((c) => {
            const dead = list.counts.get(c)?.get('dead') ?? 0;
            return (
              <tr>
                <th scope="row">
                  <a href={href('/jobs', { connector: c })}>{c}</a>
                </th>
                {JOB_STATUSES.map((s) => (
                  <td class="num">
                    <a href={href('/jobs', { connector: c, status: s })} aria-label={`${fmt(list.counts.get(c)?.get(s) ?? 0)} ${s} ${c} jobs`}>
                      {fmt(list.counts.get(c)?.get(s) ?? 0)}
                    </a>
                  </td>
                ))}
                <td>
                  {dead > 0 ? (
                    <ActionButton ctx={ctx} action="/jobs/retry-dead" back={props.back} name="connector" value={c} label={dead === 1 ? `Retry the dead ${c} job` : `Retry all ${fmt(dead)} dead ${c} jobs`} />
                  ) : (
                    <></>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <form class="filters" method="get" action="/jobs">
        <FilterSelect label="Connector" name="connector" options={CONNECTOR_NAMES} selected={list.connector} />
        <FilterSelect label="Status" name="status" options={JOB_STATUSES} selected={list.status} />
        <button type="submit">Filter</button>
      </form>
      {list.rows.length === 0 ? (
        <Empty>No job matches.</Empty>
      ) : (
        <table>
          <caption>
            Jobs, newest first{list.connector ? ` — ${list.connector}` : ''}
            {list.status ? ` — ${list.status}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Connector · kind</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Attempts</th>
              <th scope="col">Customer</th>
              <th scope="col">Cause</th>
              <th scope="col">Queued</th>
              <th scope="col">Provider's answer</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((j) => (
              <tr id={`job-${j.id}`}>
                <td class="mono">#{j.id}</td>
                <td>
                  {j.connector} · {j.kind}
                </td>
                <td>
                  <Badge value={j.status} />
                  {j.status === 'dead' ? (
                    <div>
                      <ActionButton ctx={ctx} action={`/jobs/${j.id}/retry`} back={props.back} label="Retry" describedBy={`job-${j.id}-what`} />
                      <span class="sr-only" id={`job-${j.id}-what`}>
                        job #{j.id} {j.connector} {j.kind}
                      </span>
                    </div>
                  ) : (
                    <></>
                  )}
                </td>
                <td class="num">
                  {j.attempts}/{j.max_attempts}
                </td>
                <td>{j.customer_id ? <a href={`/customers/${encodeURIComponent(j.customer_id)}`}>{j.email ?? j.customer_id}</a> : <span class="muted">—</span>}</td>
                <td>{j.inbox_id ? <a href={`/events/${j.inbox_id}`}>{`${j.source} ${j.event_type}`}</a> : <span class="muted">—</span>}</td>
                <td>
                  <Time at={j.created_at} />
                </td>
                <td class="mono">
                  {j.last_error && j.status !== 'done' ? <span>error: {oneLine(j.last_error, 400)}</span> : j.result ? oneLine(j.result, 300) : ''}
                  {j.status === 'pending' && j.attempts > 0 ? (
                    <div class="muted">
                      next attempt <Time at={j.run_at} />
                    </div>
                  ) : (
                    <></>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Job pages" newer={list.before ? href('/jobs', filters) : undefined} older={list.more && last ? href('/jobs', { ...filters, before: last.id }) : undefined} />
    </Layout>
  );
}
