import { sql, type Queryable } from '../../db/index.js';
import { Layout, type PageCtx } from '../ui/layout.js';
import { age, Badge, Empty, Time } from '../ui/parts.js';

/** Past incidents shown below the open ones. */
const PAST = 100;

interface Incident {
  id: number;
  rule: string;
  subject: string;
  title: string;
  summary: string;
  opened_at: Date;
  resolved_at: Date | null;
}

export async function loadIncidents(db: Queryable): Promise<{ open: Incident[]; past: Incident[] }> {
  const { rows } = await db.query<Incident>(sql.listIncidentsPage, [PAST]);
  return { open: rows.filter((r) => !r.resolved_at), past: rows.filter((r) => r.resolved_at) };
}

function IncidentTable(props: { caption: string; rows: Incident[]; now: Date; open: boolean }) {
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Incident</th>
          <th scope="col">Rule</th>
          <th scope="col">Subject</th>
          <th scope="col">Opened</th>
          <th scope="col">{props.open ? 'Firing for' : 'Resolved'}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>
            <td>
              <strong>{r.title}</strong>
              <div>{r.summary}</div>
            </td>
            <td class="mono">{r.rule}</td>
            <td class="mono">{r.subject || '—'}</td>
            <td>
              <Time at={r.opened_at} />
            </td>
            <td>
              {props.open ? (
                <>
                  <Badge value="firing" /> {age((props.now.getTime() - new Date(r.opened_at).getTime()) / 1000)}
                </>
              ) : (
                <>
                  <Time at={r.resolved_at} />{' '}
                  <span class="muted">after {age((new Date(r.resolved_at!).getTime() - new Date(r.opened_at).getTime()) / 1000)}</span>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AlertsPage(props: { ctx: PageCtx; data: { open: Incident[]; past: Incident[] }; now: Date }) {
  return (
    <Layout title="Alerts" ctx={props.ctx}>
      <h2>Open</h2>
      {props.data.open.length ? <IncidentTable caption="Firing now, oldest first" rows={props.data.open} now={props.now} open /> : <Empty>Nothing is firing.</Empty>}
      <h2>Past</h2>
      {props.data.past.length ? (
        <IncidentTable caption={`Resolved incidents, most recent first (up to ${PAST})`} rows={props.data.past} now={props.now} open={false} />
      ) : (
        <Empty>No past incidents.</Empty>
      )}
    </Layout>
  );
}
