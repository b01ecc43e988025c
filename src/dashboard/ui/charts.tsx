import { fmt } from './parts.js';

export interface DayCount {
  /** YYYY-MM-DD (UTC). */
  day: string;
  delivered: number;
  automated: number;
}

export interface FunnelStep {
  label: string;
  n: number;
}

const W = 320;
const H = 120;
const BASE = 100;

/**
 * Effects delivered per day as an inline SVG bar chart (no script, no external asset): the automated
 * part of each bar, and on top of it, in the warning colour, what needed an operator's retry.
 * The chart is an image with a text equivalent; the numbers are also printed above the bars.
 */
export function HandoffsChart(props: { days: DayCount[] }) {
  const max = Math.max(1, ...props.days.map((d) => d.delivered));
  const slot = W / props.days.length;
  const bar = Math.max(4, slot - 10);
  const automated = props.days.reduce((a, d) => a + d.automated, 0);
  const delivered = props.days.reduce((a, d) => a + d.delivered, 0);
  const summary = `${fmt(automated)} of ${fmt(delivered)} effects delivered in the last 7 days needed no human. Per day: ${props.days
    .map((d) => `${d.day.slice(5)} ${fmt(d.automated)}/${fmt(d.delivered)}`)
    .join(', ')}.`;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={summary}>
        {props.days.map((d, i) => {
          const x = i * slot + (slot - bar) / 2;
          const hAuto = (d.automated / max) * (BASE - 14);
          const hManual = ((d.delivered - d.automated) / max) * (BASE - 14);
          return (
            <g>
              <rect class="bar" x={x.toFixed(1)} y={(BASE - hAuto).toFixed(1)} width={bar.toFixed(1)} height={hAuto.toFixed(1)} />
              {hManual > 0 ? <rect class="manual" x={x.toFixed(1)} y={(BASE - hAuto - hManual).toFixed(1)} width={bar.toFixed(1)} height={hManual.toFixed(1)} /> : <></>}
              <text x={(x + bar / 2).toFixed(1)} y={(BASE - hAuto - hManual - 3).toFixed(1)} text-anchor="middle">
                {fmt(d.automated)}
              </text>
              <text x={(x + bar / 2).toFixed(1)} y={H - 4} text-anchor="middle">
                {d.day.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">
        {fmt(automated)} of {fmt(delivered)} delivered without a human (retried by an operator: {fmt(delivered - automated)})
      </figcaption>
    </figure>
  );
}

/** The funnel as a table (the data) with a bar per step (decoration) and the drop-off from the step before. */
export function Funnel(props: { steps: FunnelStep[] }) {
  const top = Math.max(1, props.steps[0]?.n ?? 0);
  return (
    <table class="funnel">
      <caption>Signup → trial → paid → support contact; each step counts customers who also reached the steps before it</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col" class="num">Customers</th>
          <th scope="col" class="num">Of the step before</th>
          <th scope="col" class="num">Drop-off</th>
          <th scope="col">
            <span class="sr-only">Bar</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.steps.map((s, i) => {
          const prev = i === 0 ? undefined : props.steps[i - 1]!.n;
          const rate = prev === undefined ? undefined : prev === 0 ? 0 : s.n / prev;
          return (
            <tr>
              <th scope="row">{s.label}</th>
              <td class="num">{fmt(s.n)}</td>
              <td class="num">{rate === undefined ? '—' : `${(rate * 100).toFixed(1)} %`}</td>
              <td class="num">{rate === undefined || prev === 0 ? '—' : `${fmt(prev! - s.n)} (${((1 - rate) * 100).toFixed(1)} %)`}</td>
              <td>
                <svg width="160" height="12" viewBox="0 0 160 12" aria-hidden="true" focusable="false">
                  <rect class="bar" x="0" y="1" width={((s.n / top) * 160).toFixed(1)} height="10" />
                </svg>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
