import { sql, type Queryable } from '../../db/index.js';
import { oneOf } from '../params.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { ActionButton, Badge, Empty, href, Notice, oneLine, Time } from '../ui/parts.js';

const SHOW = ['pending', 'approved', 'rejected'] as const;
type Show = (typeof SHOW)[number];
const LIMIT = 100;

interface Item {
  id: string;
  conversation_id: string;
  customer_id: string | null;
  email: string | null;
  action: string;
  message: string;
  category: string;
  priority: string;
  rule: string;
  reason: string;
  review: string;
  reviewed_at: Date | null;
  created_at: Date;
  job_id: number | null;
}

export async function loadReview(db: Queryable, query: Record<string, string>): Promise<{ show: Show; items: Item[] }> {
  const show = oneOf(query.show, SHOW, 'show') ?? 'pending';
  const { rows } = await db.query<Item>(sql.listReviewPage, [show, LIMIT]);
  return { show, items: rows };
}

/** Approve / Reject post to /review/:id/approve|reject, which call the chatbot's own review service. */
export function ReviewPage(props: { ctx: PageCtx; data: { show: Show; items: Item[] }; back: string; notice?: string }) {
  const { show, items } = props.data;
  return (
    <Layout title="Chatbot review" ctx={props.ctx}>
      <Notice text={props.notice} />
      <nav aria-label="Review queues">
        <ul class="tabs">
          {SHOW.map((s) => (
            <li>
              <a href={href('/review', { show: s === 'pending' ? undefined : s })} aria-current={s === show ? 'page' : undefined}>
                {s === 'pending' ? 'Waiting' : s}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {items.length === 0 ? (
        <Empty>{show === 'pending' ? 'Nothing waits for review.' : `No ${show} items.`}</Empty>
      ) : (
        <table>
          <caption>
            {show === 'pending' ? 'Chatbot actions held for review, most urgent first, then oldest' : `${show} actions, most recent first`} (up to {LIMIT})
          </caption>
          <thead>
            <tr>
              <th scope="col">Asked</th>
              <th scope="col">Customer</th>
              <th scope="col">Action</th>
              <th scope="col">Message</th>
              <th scope="col">Why held</th>
              <th scope="col">{show === 'pending' ? 'Decide' : 'Decided'}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr id={`review-${i.id}`}>
                <td>
                  <Time at={i.created_at} />
                </td>
                <td>{i.customer_id ? <a href={`/customers/${encodeURIComponent(i.customer_id)}`}>{i.email ?? i.customer_id}</a> : (i.email ?? <span class="muted">unknown</span>)}</td>
                <td>
                  <span class="mono">{i.action}</span>
                  <div>
                    <Badge value={i.priority} /> <span class="muted">{i.category}</span>
                  </div>
                </td>
                <td>{oneLine(i.message, 500)}</td>
                <td>
                  <span class="mono">{i.rule}</span>
                  <div class="muted">{oneLine(i.reason, 300)}</div>
                </td>
                <td>
                  {i.review === 'pending' ? (
                    <>
                      <ActionButton ctx={props.ctx} action={`/review/${encodeURIComponent(i.id)}/approve`} back={props.back} label="Approve" class="primary" describedBy={`review-${i.id}-what`} />{' '}
                      <ActionButton ctx={props.ctx} action={`/review/${encodeURIComponent(i.id)}/reject`} back={props.back} label="Reject" class="danger" describedBy={`review-${i.id}-what`} />
                      <span class="sr-only" id={`review-${i.id}-what`}>
                        {i.action} for {i.email ?? 'unknown customer'}
                      </span>
                    </>
                  ) : (
                    <>
                      <Badge value={i.review} /> <Time at={i.reviewed_at} />
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
