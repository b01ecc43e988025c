import { sql, type Queryable } from '../../db/index.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { cursor, oneOf, text } from '../params.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { Badge, Empty, FilterSelect, fmt, href, oneLine, Pager, Time } from '../ui/parts.js';

const SOURCES = ['stripe', 'clerk', 'app', 'zendesk', 'chatbot'] as const;
const OUTCOMES = ['applied', 'ignored', 'stale', 'received'] as const;
const PAGE_SIZE = 50;
/** Each page examines at most this many consecutive events (see listInboxPage.sql). */
const WINDOW = 20_000;

interface Row {
  id: number;
  source: string;
  event_id: string;
  type: string;
  occurred_at: Date;
  received_at: Date;
  outcome: string;
  outcome_reason: string | null;
  customer_id: string | null;
  email: string | null;
}

export interface EventList {
  source?: string;
  type?: string;
  outcome?: string;
  before?: number;
  rows: Row[];
  /** Where the next (older) page starts, if anything older exists. */
  older?: number;
  /** Set when this page's window ended before the page filled up: ids from `from` up to the cursor were searched. */
  searched?: { from: number; below?: number };
  types: Array<{ source: string; type: string }>;
}

export async function loadEvents(db: Queryable, query: Record<string, string>): Promise<EventList> {
  const source = oneOf(query.source, SOURCES, 'source');
  const type = text(query.type, 'type');
  const outcome = oneOf(query.outcome, OUTCOMES, 'outcome');
  const before = cursor(query.before);
  const [page, types] = await Promise.all([
    db.query<Row & { id: number | null; window_floor: number }>(sql.listInboxPage, [source ?? null, type ?? null, outcome ?? null, before ?? null, PAGE_SIZE + 1, WINDOW]),
    db.query<{ source: string; type: string }>(sql.listInboxTypes),
  ]);
  const floor = Number(page.rows[0]?.window_floor ?? 1);
  const rows = page.rows.filter((r): r is Row & { window_floor: number } => r.id !== null);
  const full = rows.length > PAGE_SIZE;
  return {
    source,
    type,
    outcome,
    before,
    rows: rows.slice(0, PAGE_SIZE),
    older: full ? rows[PAGE_SIZE - 1]!.id : floor > 1 ? floor : undefined,
    searched: !full && floor > 1 ? { from: floor, below: before } : undefined,
    types: types.rows,
  };
}

export function EventsPage(props: { ctx: PageCtx; list: EventList }) {
  const { list } = props;
  const filters = { source: list.source, type: list.type, outcome: list.outcome };
  const typeNames = [...new Set(list.types.filter((t) => !list.source || t.source === list.source).map((t) => t.type))].sort();
  return (
    <Layout title="Events" ctx={props.ctx}>
      <form class="filters" method="get" action="/events">
        <FilterSelect label="Source" name="source" options={SOURCES} selected={list.source} />
        <FilterSelect label="Type" name="type" options={list.type && !typeNames.includes(list.type) ? [list.type, ...typeNames] : typeNames} selected={list.type} />
        <FilterSelect label="Outcome" name="outcome" options={OUTCOMES} selected={list.outcome} />
        <button type="submit">Filter</button>
      </form>
      {list.rows.length === 0 ? (
        <Empty>{list.searched ? 'No event matches in this range.' : 'No event matches.'}</Empty>
      ) : (
        <table>
          <caption>Verified events, newest first{list.before ? ' (older page)' : ''}</caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Source</th>
              <th scope="col">Type</th>
              <th scope="col">Outcome</th>
              <th scope="col">Customer</th>
              <th scope="col">Event id</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((r) => (
              <tr>
                <td>
                  <Time at={r.received_at} />
                </td>
                <td>{r.source}</td>
                <td>{r.type}</td>
                <td>
                  <Badge value={r.outcome} />
                  {r.outcome_reason && r.outcome !== 'applied' ? <div class="muted">{oneLine(r.outcome_reason, 160)}</div> : <></>}
                </td>
                <td>{r.customer_id ? <a href={`/customers/${encodeURIComponent(r.customer_id)}`}>{r.email ?? r.customer_id}</a> : <span class="muted">—</span>}</td>
                <td class="mono">
                  <a href={`/events/${r.id}`}>{r.event_id}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.searched ? (
        <p class="muted">
          Searched events #{fmt(list.searched.from)} to {list.searched.below ? `#${fmt(list.searched.below - 1)}` : 'the newest'} ({fmt(WINDOW)} at most per page); older
          events may match too.
        </p>
      ) : (
        <></>
      )}
      <Pager label="Event pages" newer={list.before ? href('/events', filters) : undefined} older={list.older ? href('/events', { ...filters, before: list.older }) : undefined} />
    </Layout>
  );
}

interface EventRow extends Row {
  payload: unknown;
}

/** One event by inbox id, or by (source, sender's event id). */
export async function loadEvent(db: Queryable, ref: { id?: string; source?: string; eventId?: string }): Promise<EventRow> {
  let id: number | null = null;
  if (ref.id !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(ref.id)) throw new BadRequestError('event id must be a positive integer');
    id = Number(ref.id);
  }
  const source = ref.source === undefined ? null : (oneOf(ref.source, SOURCES, 'source') ?? null);
  const eventId = ref.eventId === undefined ? null : (text(ref.eventId, 'event id', 500) ?? null);
  const { rows } = await db.query<EventRow>(sql.getInboxEvent, [id, source, eventId]);
  if (!rows[0]) throw new NotFoundError('no such event in the inbox');
  return rows[0];
}

export function EventPage(props: { ctx: PageCtx; e: EventRow }) {
  const { e } = props;
  return (
    <Layout title={`${e.source} ${e.type}`} ctx={props.ctx}>
      <table>
        <caption>Event</caption>
        <tbody>
          <tr>
            <th scope="row">Sender's event id</th>
            <td class="mono">{e.event_id}</td>
          </tr>
          <tr>
            <th scope="row">Occurred</th>
            <td>
              <Time at={e.occurred_at} />
            </td>
          </tr>
          <tr>
            <th scope="row">Received</th>
            <td>
              <Time at={e.received_at} />
            </td>
          </tr>
          <tr>
            <th scope="row">Outcome</th>
            <td>
              <Badge value={e.outcome} /> {e.outcome_reason ?? ''}
            </td>
          </tr>
          <tr>
            <th scope="row">Customer</th>
            <td>{e.customer_id ? <a href={`/customers/${encodeURIComponent(e.customer_id)}`}>{e.email ?? e.customer_id}</a> : <span class="muted">none</span>}</td>
          </tr>
        </tbody>
      </table>
      <h2 id="h-payload">Payload</h2>
      <p class="muted">The verified body as received (request headers and signatures are never stored).</p>
      <pre aria-labelledby="h-payload">{JSON.stringify(e.payload, null, 2)}</pre>
    </Layout>
  );
}
