import { describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/connectors/slack/index.js';
import { alertJobs } from '../../src/monitor/alerts/index.js';

describe('alert messages (pure)', () => {
  const change = {
    id: 7,
    rule: 'payment_not_recovered' as const,
    subject: 'in_1',
    title: 'Payment not recovered after 24 h',
    summary: '<!channel> <https://evil.example|click>@example.com: invoice in_1 failed',
    action: 'Reach out & retry',
    openedAt: new Date('2026-01-01T10:00:00Z'),
  };

  it('opened: what is wrong and what to do, every outside value escaped for mrkdwn', () => {
    const [job] = alertJobs({ ...change, change: 'opened' }, { slack: true, emailTo: [] });
    expect(job).toMatchObject({ connector: 'slack', kind: 'notify', idempotency_key: 'alert:7:opened:slack', payload: { template: 'alert_opened' } });
    const msg = renderMessage('alert_opened', null, (job!.payload as { facts: Record<string, unknown> }).facts);
    expect(msg.text).toBe(':rotating_light: Payment not recovered after 24 h: &lt;!channel&gt; &lt;https://evil.example|click&gt;@example.com: invoice in_1 failed');
    expect(JSON.stringify(msg.blocks)).not.toMatch(/<!channel>|<https/);
    expect(JSON.stringify(msg.blocks)).toContain('*What to do:* Reach out &amp; retry');
    expect(JSON.stringify(msg.blocks)).toContain('Handoff alert · payment_not_recovered · incident 7 · opened 2026-01-01 10:00 UTC');
  });

  it('resolved: the title and how long it was open; one job per channel, keyed by incident and change', () => {
    const jobs = alertJobs({ ...change, change: 'resolved', resolvedAt: new Date('2026-01-01T10:12:00Z') }, { slack: true, emailTo: ['founder@example.com'] });
    expect(jobs.map((j) => [j.connector, j.kind, j.idempotency_key])).toEqual([
      ['slack', 'notify', 'alert:7:resolved:slack'],
      ['email', 'send', 'alert:7:resolved:email'],
    ]);
    expect(jobs[1]?.payload).toMatchObject({ template: 'alert_resolved', to: ['founder@example.com'], facts: { open_for: '12 min', incident_id: 7 } });
    expect(renderMessage('alert_resolved', null, (jobs[0]!.payload as { facts: Record<string, unknown> }).facts).text).toBe(
      ':white_check_mark: Resolved: Payment not recovered after 24 h (open for 12 min)',
    );
  });

  it('no channel configured: nothing is queued', () => {
    expect(alertJobs({ ...change, change: 'opened' }, { slack: false, emailTo: [] })).toEqual([]);
  });
});
