import type { AppConfig } from '../../config/index.js';
import { sql, type Queryable } from '../../db/index.js';
import { NotFoundError } from '../../errors.js';
import { decisionContext } from '../../lifecycle/index.js';
import { customerView } from '../../pipeline/customer-view.js';
import { getLiveCustomer } from '../../pipeline/index.js';
import { IDENTITY_LABELS, linkContext, providerUrl, type LinkContext } from '../links.js';
import { text } from '../params.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { ActionButton, Badge, Empty, href, Notice, oneLine, plural, Time } from '../ui/parts.js';

type View = Awaited<ReturnType<typeof customerView>>;
type Entry = View['timeline'][number];
interface JobInfo {
  id: number;
  connector: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  result: unknown;
  finishedAt: Date | null;
}
interface Block {
  key: string;
  at: Date;
  event?: { source: string; id: string; type: string; outcome: string; reason: string | null };
  entries: Entry[];
}

export interface CustomerPageData {
  view: View;
  links: LinkContext;
  blocks: Block[];
}

/** One customer by id, email or any linked id (404 otherwise), with the view `handoff trace` shows too. */
export async function loadCustomer(db: Queryable, config: AppConfig, rawRef: string): Promise<CustomerPageData> {
  const ref = text(rawRef, 'customer reference', 500) ?? '';
  const { rows } = await db.query<{ id: string }>(sql.findCustomerRef, [ref]);
  const customer = rows[0] && (await getLiveCustomer(db, rows[0].id));
  if (!customer) throw new NotFoundError(`no customer matches ${JSON.stringify(ref.slice(0, 200))}`);
  const [view, mode] = await Promise.all([
    customerView(db, customer),
    db.query<{ livemode: string | null }>(sql.findCustomerStripeMode, [customer.id]),
  ]);
  const live = mode.rows[0]?.livemode;
  return { view, links: linkContext(config, live === 'false' ? false : live === 'true' ? true : undefined), blocks: groupByEvent(view) };
}

/** Each event with what it caused under it (transition or why not, jobs, provider answers), oldest first. */
function groupByEvent(view: View): Block[] {
  const blocks = new Map<string, Block>();
  const loose: Block[] = [];
  const keyOf = (source: unknown, id: unknown) => `${String(source)}\u0000${String(id)}`;
  for (const e of view.events ?? []) {
    blocks.set(keyOf(e.source, e.id), { key: keyOf(e.source, e.id), at: new Date(e.at), event: { source: e.source, id: e.id, type: e.type, outcome: e.outcome, reason: e.reason }, entries: [] });
  }
  for (const entry of view.timeline) {
    const ev = entry.event as { source?: unknown; id?: unknown; type?: unknown; outcome?: unknown } | null;
    const k = ev ? keyOf(ev.source, ev.id) : undefined;
    let b = k ? blocks.get(k) : undefined;
    if (!b && ev && k) {
      // An event older than the newest 500 the view lists: show it from what the entry knows.
      b = { key: k, at: new Date(entry.at), event: { source: String(ev.source), id: String(ev.id), type: String(ev.type ?? ''), outcome: String(ev.outcome ?? ''), reason: null }, entries: [] };
      blocks.set(k, b);
    }
    if (b) b.entries.push(entry);
    else loose.push({ key: `loose-${loose.length}`, at: new Date(entry.at), entries: [entry] });
  }
  for (const b of blocks.values()) b.entries.sort((x, y) => rank(x) - rank(y) || new Date(x.at).getTime() - new Date(y.at).getTime());
  return [...blocks.values(), ...loose].sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Within one event: what it did to the customer, then the jobs it queued, then what happened to them later. */
const RANK: Record<string, number> = { merge: 0, transition: 1, event: 1, ignored: 1, stale: 1, chatbot: 2, job: 3, effect: 4, retry: 4 };
const rank = (e: Entry) => RANK[e.type] ?? 2;

function EntryLine(props: { entry: Entry; ctx: PageCtx; back: string }) {
  const e = props.entry as Entry & { job?: JobInfo; from?: string | null; to?: string | null; rule?: string | null; detail?: unknown };
  if (e.job) {
    const j = e.job;
    const answer = j.status === 'done' || j.status === 'skipped' ? (j.result ? oneLine(j.result) : '') : j.lastError ? `last error: ${oneLine(j.lastError, 300)}` : '';
    return (
      <li>
        <a href={href('/jobs', { connector: j.connector, before: j.id + 1 })}>job #{j.id}</a> {j.connector} {j.kind} <Badge value={j.status} />{' '}
        <span class="muted">after {plural(j.attempts, 'attempt')}</span>
        {answer ? (
          <>
            {' '}
            — <span class="mono">{answer}</span>
          </>
        ) : (
          <></>
        )}
        {j.status === 'dead' ? (
          <>
            {' '}
            <ActionButton ctx={props.ctx} action={`/jobs/${j.id}/retry`} back={props.back} label={`Retry job #${j.id}`} />
          </>
        ) : (
          <></>
        )}
      </li>
    );
  }
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const support = d.support as { from?: string; to?: string } | undefined;
  const supportText = support ? `; support ${support.from} → ${support.to}` : '';
  const context = decisionContext(d);
  switch (e.type) {
    case 'transition':
      if (e.from !== e.to) {
        return (
          <li>
            state <Badge value={e.from ?? ''} /> → <Badge value={e.to ?? ''} /> <span class="muted">(rule {e.rule}{context})</span>
            {supportText}
          </li>
        );
      }
    // falls through: only the support dimension changed
    case 'event':
      return (
        <li>
          state stays <Badge value={e.to ?? ''} /> <span class="muted">(rule {e.rule}{context})</span>
          {supportText}
        </li>
      );
    case 'ignored':
    case 'stale':
      return (
        <li>
          <Badge value={e.type} /> {oneLine(String(d.reason ?? ''), 300)}
        </li>
      );
    case 'merge':
      return <li>merged records {((d.merged as string[] | undefined) ?? []).join(', ')} into this customer</li>;
    case 'effect':
      return (
        <li>
          {String(d.connector ?? '')} {String(d.kind ?? '')}: {oneLine(String(d.note ?? ''), 300)}
        </li>
      );
    case 'chatbot':
      return (
        <li>
          chatbot <span class="mono">{String(d.action ?? '')}</span>: <Badge value={String(d.review ?? d.decision ?? '')} />{' '}
          <span class="muted">
            (rule {String(e.rule ?? d.rule ?? '')}
            {d.reason ? ` — ${oneLine(String(d.reason), 200)}` : ''})
          </span>
        </li>
      );
    case 'retry':
      return (
        <li>
          job #{String(d.job_id)} {String(d.connector ?? '')} {String(d.kind ?? '')} queued again by an operator
          {d.previous_error ? ` (had failed: ${oneLine(String(d.previous_error), 200)})` : ''}
        </li>
      );
    default:
      return (
        <li>
          {e.type} {Object.keys(d).length ? <span class="mono">{oneLine(d)}</span> : <></>}
        </li>
      );
  }
}

export function CustomerPage(props: { ctx: PageCtx; data: CustomerPageData; back: string; notice?: string }) {
  const { view, blocks, links } = props.data;
  const title = view.email ?? view.name ?? view.id;
  return (
    <Layout title={title} ctx={props.ctx}>
      <Notice text={props.notice} />
      <p>
        <Badge value={view.lifecycle} /> {view.support === 'needs_support' ? <Badge value="needs_support" /> : <></>}{' '}
        <span class="muted">
          {view.name ? `${view.name} · ` : ''}Handoff id <span class="mono">{view.id}</span>
        </span>
      </p>
      <h2 id="h-ids">Identities</h2>
      {view.identities.length === 0 ? (
        <Empty>No linked identity.</Empty>
      ) : (
        <table>
          <caption>Where this customer exists, with a link to the provider's record where Handoff can build one</caption>
          <thead>
            <tr>
              <th scope="col">System</th>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {view.identities.map((i) => {
              const meta = IDENTITY_LABELS[i.kind] ?? { system: i.kind, label: i.kind };
              const url = providerUrl(i.kind, i.value, links);
              return (
                <tr>
                  <td>{meta.system}</td>
                  <td>{meta.label}</td>
                  <td class="mono">
                    {url ? (
                      <a href={url} rel="noreferrer noopener" target="_blank">
                        {i.value}
                        <span class="sr-only"> (opens the provider's page)</span>
                      </a>
                    ) : (
                      i.value
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2 id="h-timeline">Timeline</h2>
      <p class="muted">Oldest first: each event, what it changed (or why not), the jobs it queued and each provider's answer.</p>
      {blocks.length === 0 ? <Empty>Nothing yet.</Empty> : <></>}
      <ol class="timeline" aria-labelledby="h-timeline">
        {blocks.map((b) => (
          <li class="event">
            <h3>
              <Time at={b.at} />{' '}
              {b.event ? (
                <>
                  <a href={`/events/${encodeURIComponent(b.event.source)}/${encodeURIComponent(b.event.id)}`}>
                    {b.event.source} {b.event.type}
                  </a>{' '}
                  <Badge value={b.event.outcome} />
                  {b.event.reason && b.event.outcome !== 'applied' ? <span class="muted"> {oneLine(b.event.reason, 300)}</span> : <></>}
                </>
              ) : (
                <span class="muted">without an event</span>
              )}
            </h3>
            {b.entries.length ? (
              <ul>
                {b.entries.map((entry) => (
                  <EntryLine entry={entry} ctx={props.ctx} back={props.back} />
                ))}
              </ul>
            ) : (
              <></>
            )}
          </li>
        ))}
      </ol>
    </Layout>
  );
}
