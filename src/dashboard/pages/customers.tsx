import type { LifecycleState } from '../../config/index.js';
import { sql, type Queryable } from '../../db/index.js';
import { prefixPattern, oneOf, pageNumber, text } from '../params.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { Badge, Empty, FilterSelect, href, Time } from '../ui/parts.js';

export const LIFECYCLE_STATES: readonly LifecycleState[] = ['lead', 'trial', 'paid', 'past_due', 'churned'];
const SUPPORT = ['none', 'needs_support'] as const;
const PAGE_SIZE = 50;
/** 200 pages of 50: past that, narrow the search (deep OFFSETs get slow and nobody pages that far). */
const MAX_PAGE = 200;

interface Row {
  id: string;
  email: string | null;
  name: string | null;
  lifecycle: LifecycleState;
  support: string;
  created_at: Date;
  updated_at: Date;
}

export interface CustomerList {
  q?: string;
  state?: LifecycleState;
  support?: (typeof SUPPORT)[number];
  page: number;
  rows: Row[];
  more: boolean;
}

export async function loadCustomers(db: Queryable, query: Record<string, string>): Promise<CustomerList> {
  const q = text(query.q, 'q');
  const state = oneOf(query.state, LIFECYCLE_STATES, 'state');
  const support = oneOf(query.support, SUPPORT, 'support');
  const page = pageNumber(query.page, MAX_PAGE);
  const offset = (page - 1) * PAGE_SIZE;
  const { rows } = q
    ? await db.query<Row>(sql.searchCustomers, [q, prefixPattern(q), state ?? null, support ?? null, PAGE_SIZE + 1, offset])
    : await db.query<Row>(sql.listCustomersPage, [state ?? null, support ?? null, PAGE_SIZE + 1, offset]);
  return { q, state, support, page, rows: rows.slice(0, PAGE_SIZE), more: rows.length > PAGE_SIZE && page < MAX_PAGE };
}

export function CustomersPage(props: { ctx: PageCtx; list: CustomerList }) {
  const { list } = props;
  const params = { q: list.q, state: list.state, support: list.support };
  return (
    <Layout title="Customers" ctx={props.ctx}>
      <form class="filters" method="get" action="/customers" role="search">
        <label>
          Email (or its beginning), or any id
          <input type="search" name="q" value={list.q ?? ''} placeholder="name@example.com or cus_…" />
        </label>
        <FilterSelect label="State" name="state" options={LIFECYCLE_STATES} selected={list.state} />
        <FilterSelect label="Support" name="support" options={SUPPORT} selected={list.support} show={(s) => s.replace('_', ' ')} />
        <button type="submit">Search</button>
      </form>
      {list.rows.length === 0 ? (
        <Empty>No customer matches.</Empty>
      ) : (
        <table>
          <caption>
            Customers, newest first — page {list.page}
            {list.q ? ` — matching “${list.q}”` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Support</th>
              <th scope="col">First seen</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.map((r) => (
              <tr>
                <td>
                  <a href={`/customers/${encodeURIComponent(r.id)}`}>{r.email ?? r.id}</a>
                </td>
                <td>{r.name ?? ''}</td>
                <td>
                  <Badge value={r.lifecycle} />
                </td>
                <td>{r.support === 'none' ? <span class="muted">—</span> : <Badge value={r.support} />}</td>
                <td>
                  <Time at={r.created_at} />
                </td>
                <td>
                  <Time at={r.updated_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Customer pages">
        {list.page > 1 ? <a href={href('/customers', { ...params, page: list.page - 1 })}>← Previous</a> : <span />}
        {list.more ? <a href={href('/customers', { ...params, page: list.page + 1 })}>Next →</a> : <span />}
      </nav>
    </Layout>
  );
}
