import type { LifecycleState } from '../../config/index.js';
import { sql, type Queryable } from '../../db/index.js';
import { HandoffsChart, Funnel, type DayCount, type FunnelStep } from '../ui/charts.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { age, Badge, fmt, href, plural, Time } from '../ui/parts.js';

const STATES: LifecycleState[] = ['lead', 'trial', 'paid', 'past_due', 'churned'];
const DAY_MS = 86_400_000;

export interface Overview {
  now: Date;
  states: Array<{ lifecycle: LifecycleState; n: number; needsSupport: number }>;
  events: Array<{ source: string; outcome: string; n: number }>;
  outbox: { pending: number; running: number; oldestPending: Date | null; deadByConnector: Record<string, number> };
  attention: { firing: number; reviews: number };
  days: DayCount[];
  funnel: FunnelStep[];
}

/** Today at a glance: six small queries, each served by an index (see migration 0007). Days are UTC. */
export async function loadOverview(db: Queryable, now: Date): Promise<Overview> {
  const weekStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 6 * DAY_MS);
  const [states, events, outbox, attention, days, funnel] = await Promise.all([
    db.query<{ lifecycle: LifecycleState; n: number; needs_support: number }>(sql.countCustomerStates),
    db.query<{ source: string; outcome: string; n: number }>(sql.countRecentInboxEvents, [new Date(now.getTime() - DAY_MS)]),
    db.query<{ pending: number; running: number; oldest_pending: Date | null; dead_by_connector: Record<string, number> }>(sql.summarizeDashboardOutbox),
    db.query<{ firing: number; reviews: number }>(sql.countDashboardAttention),
    db.query<{ bucket: number; delivered: number; retried: number }>(sql.countHandoffsByDay, [Array.from({ length: 8 }, (_, i) => new Date(weekStart.getTime() + i * DAY_MS))]),
    db.query<{ signup: number; trial: number; paid: number; support: number }>(sql.countSignupFunnel, [new Date(now.getTime() - 30 * DAY_MS)]),
  ]);
  const byState = new Map(states.rows.map((r) => [r.lifecycle, r]));
  const byBucket = new Map(days.rows.map((r) => [Number(r.bucket), r]));
  const o = outbox.rows[0]!;
  const f = funnel.rows[0] ?? { signup: 0, trial: 0, paid: 0, support: 0 };
  return {
    now,
    states: STATES.map((s) => ({ lifecycle: s, n: byState.get(s)?.n ?? 0, needsSupport: byState.get(s)?.needs_support ?? 0 })),
    events: events.rows,
    outbox: { pending: o.pending, running: o.running, oldestPending: o.oldest_pending, deadByConnector: o.dead_by_connector ?? {} },
    attention: attention.rows[0] ?? { firing: 0, reviews: 0 },
    days: Array.from({ length: 7 }, (_, i) => {
      // Bucket i + 1 holds day i (bucket 8 would be tomorrow: a clock ahead of ours).
      const r = byBucket.get(i + 1);
      return { day: new Date(weekStart.getTime() + i * DAY_MS).toISOString().slice(0, 10), delivered: r?.delivered ?? 0, automated: (r?.delivered ?? 0) - (r?.retried ?? 0) };
    }),
    funnel: [
      { label: 'Signed up', n: f.signup },
      { label: 'Trial (or paid at once)', n: f.trial },
      { label: 'Paid', n: f.paid },
      { label: 'Contacted support', n: f.support },
    ],
  };
}

export function HomePage(props: { ctx: PageCtx; o: Overview }) {
  const { o } = props;
  const dead = Object.entries(o.outbox.deadByConnector).sort();
  const deadTotal = dead.reduce((a, [, n]) => a + n, 0);
  const needsSupport = o.states.reduce((a, s) => a + s.needsSupport, 0);
  const sources = [...new Set(o.events.map((e) => e.source))].sort();
  const outcomes = ['applied', 'ignored', 'stale', 'received'].filter((x) => o.events.some((e) => e.outcome === x));
  const cell = (source: string, outcome: string) => o.events.find((e) => e.source === source && e.outcome === outcome)?.n ?? 0;
  return (
    <Layout title="Today" ctx={props.ctx}>
      <div class="grid">
        <section class="card" aria-labelledby="h-attention">
          <h2 id="h-attention">Needs you</h2>
          <ul>
            <li>
              <a href="/alerts">{plural(o.attention.firing, 'alert')} firing</a>
            </li>
            <li>
              <a href="/review">{plural(o.attention.reviews, 'chatbot action')} waiting for review</a>
            </li>
            <li>
              <a href={href('/jobs', { status: 'dead' })}>{plural(deadTotal, 'dead letter')}</a>
              {dead.length ? <span class="muted"> ({dead.map(([c, n]) => `${c} ${fmt(n)}`).join(', ')})</span> : <></>}
            </li>
            <li>
              <a href={href('/customers', { support: 'needs_support' })}>{plural(needsSupport, 'customer')} needing support</a>
            </li>
          </ul>
        </section>
        <section class="card" aria-labelledby="h-backlog">
          <h2 id="h-backlog">Outbox backlog</h2>
          <p>
            <span class="big">{fmt(o.outbox.pending)}</span> pending, {fmt(o.outbox.running)} running
          </p>
          <p>
            Oldest pending:{' '}
            {o.outbox.oldestPending ? (
              <>
                <Time at={o.outbox.oldestPending} /> ({age((o.now.getTime() - new Date(o.outbox.oldestPending).getTime()) / 1000)} ago)
              </>
            ) : (
              'none'
            )}
          </p>
        </section>
        <section class="card" aria-labelledby="h-handoffs">
          <h2 id="h-handoffs">Handoffs automated, last 7 days</h2>
          <HandoffsChart days={o.days} />
        </section>
      </div>

      <h2 id="h-states">Customers by state</h2>
      <table>
        <caption>Live customers per lifecycle state (merged records not counted)</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col" class="num">Customers</th>
            <th scope="col" class="num">Needing support</th>
          </tr>
        </thead>
        <tbody>
          {o.states.map((s) => (
            <tr>
              <th scope="row">
                <a href={href('/customers', { state: s.lifecycle })}>
                  <Badge value={s.lifecycle} />
                </a>
              </th>
              <td class="num">{fmt(s.n)}</td>
              <td class="num">{fmt(s.needsSupport)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2 id="h-events">Events in the last 24 hours</h2>
      {sources.length === 0 ? (
        <p class="muted">No events received in the last 24 hours.</p>
      ) : (
        <table>
          <caption>Events received per source and outcome, last 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              {outcomes.map((x) => (
                <th scope="col" class="num">
                  {x}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr>
                <th scope="row">
                  <a href={href('/events', { source: s })}>{s}</a>
                </th>
                {outcomes.map((x) => (
                  <td class="num">
                    <a href={href('/events', { source: s, outcome: x })}>{fmt(cell(s, x))}</a>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="h-funnel">Funnel, customers first seen in the last 30 days</h2>
      <Funnel steps={o.funnel} />
    </Layout>
  );
}
