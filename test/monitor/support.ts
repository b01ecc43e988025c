import { expect } from 'vitest';
import type { SlackEmulator } from '../emulators/index.js';
import { adminHeaders, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

/** Evaluation every 100 ms and a Slack pace that never delays an alert: the rules' windows come from each test. */
export const FAST_ALERTS = { ALERT_EVAL_INTERVAL_MS: '100', SLACK_RATE_LIMIT: '100/1s' } as const;

export interface IncidentJson {
  id: number;
  rule: string;
  subject: string;
  title: string;
  summary: string;
  action: string | null;
  opened_at: string;
  resolved_at: string | null;
}
export interface AlertsJson {
  open: IncidentJson[];
  history: IncidentJson[];
  rules: Array<{ rule: string; threshold: string }>;
  evaluator: { interval_ms: number; last_evaluated_at: string | null; last_evaluated_by: string | null };
}

export async function getAlerts(rt: TestApp): Promise<AlertsJson> {
  const res = await rt.app.request('/api/alerts', { headers: adminHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as AlertsJson;
}

/** Slack alert messages of one incident title (opened: ":rotating_light: <title>…", resolved: ":white_check_mark: Resolved: <title>…"). */
export function alertMessages(slack: SlackEmulator, title: string | RegExp) {
  const matches = (text: string, prefix: string) =>
    text.startsWith(prefix) && (typeof title === 'string' ? text.slice(prefix.length).startsWith(title) : title.test(text.slice(prefix.length)));
  const texts = slack.messages.map((m) => m.text ?? '');
  return {
    opened: texts.filter((t) => matches(t, ':rotating_light: ')),
    resolved: texts.filter((t) => matches(t, ':white_check_mark: Resolved: ')),
  };
}

/** Waits until the evaluator has run `n` more times (as GET /api/alerts reports it), so "nothing in between" is checked over real evaluations. */
export async function evaluations(rt: TestApp, n: number): Promise<void> {
  const seen = new Set<string>();
  await waitUntil(async () => {
    const at = (await getAlerts(rt)).evaluator.last_evaluated_at;
    if (at) seen.add(at);
    return seen.size > n;
  }, 20_000, `${n} more evaluations`);
}

/** Waits until exactly the expected opened/resolved Slack messages for `title` arrived (never more). */
export async function waitForAlert(slack: SlackEmulator, title: string | RegExp, want: { opened: number; resolved: number }) {
  return waitUntil(
    async () => {
      const m = alertMessages(slack, title);
      if (m.opened.length > want.opened || m.resolved.length > want.resolved) throw new Error(`too many alert messages: ${JSON.stringify(m)}`);
      return m.opened.length === want.opened && m.resolved.length === want.resolved ? m : undefined;
    },
    20_000,
    `alert messages ${JSON.stringify(want)} for ${String(title)}`,
  );
}
