import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { describeRules } from '../../src/monitor/index.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('alert configuration (AppConfig.alerts)', () => {
  it("defaults are the issue's thresholds", () => {
    expect(loadConfig({}).alerts).toEqual({
      evalIntervalMs: 30_000,
      webhookFailureRate: 0.02,
      webhookWindowMs: 900_000,
      oldestPendingMs: 600_000,
      ticketFailures: 3,
      paymentRecoveryMs: 86_400_000,
      signupCrmMs: 600_000,
      uptime: { urls: [], intervalMs: 60_000, failures: 3 },
      emailTo: [],
    });
  });

  it('reads every variable; the failure rate as a fraction or a percentage', () => {
    const a = loadConfig({
      ALERT_EVAL_INTERVAL_MS: '0',
      ALERT_WEBHOOK_FAILURE_RATE: '5%',
      ALERT_WEBHOOK_WINDOW_MS: '60000',
      ALERT_OLDEST_PENDING_MS: '1000',
      ALERT_TICKET_FAILURES: '5',
      ALERT_PAYMENT_RECOVERY_MS: '3600000',
      ALERT_SIGNUP_CRM_MS: '2000',
      UPTIME_URLS: 'https://app.example.com/, https://app.example.com/checkout',
      UPTIME_INTERVAL_MS: '30000',
      UPTIME_FAILURES: '2',
      ALERT_EMAIL_TO: 'founder@example.com,ops@example.com',
      RESEND_API_KEY: 're_test_key',
      EMAIL_FROM: 'Handoff <alerts@example.com>',
    }).alerts;
    expect(a).toMatchObject({ evalIntervalMs: 0, webhookFailureRate: 0.05, webhookWindowMs: 60_000, oldestPendingMs: 1000, ticketFailures: 5, paymentRecoveryMs: 3_600_000, signupCrmMs: 2000 });
    expect(a.uptime).toEqual({ urls: ['https://app.example.com/', 'https://app.example.com/checkout'], intervalMs: 30_000, failures: 2 });
    expect(a.emailTo).toEqual(['founder@example.com', 'ops@example.com']);
    expect(loadConfig({ ALERT_WEBHOOK_FAILURE_RATE: '0.1' }).alerts.webhookFailureRate).toBe(0.1);
  });

  it('every invalid value is named in ONE error, with the fix', () => {
    const p = problems({
      ALERT_WEBHOOK_FAILURE_RATE: '2',
      ALERT_TICKET_FAILURES: '0',
      UPTIME_URLS: 'app.example.com',
      ALERT_EMAIL_TO: 'not-an-address',
      ALERT_EVAL_INTERVAL_MS: 'soon',
    });
    expect(p.join('\n')).toMatch(/ALERT_WEBHOOK_FAILURE_RATE: must be a fraction below 1 \(0\.02\) or a percentage below 100 \(2%\)/);
    expect(p.join('\n')).toMatch(/ALERT_TICKET_FAILURES/);
    expect(p.join('\n')).toMatch(/UPTIME_URLS\.0: must be an absolute URL/);
    expect(p.join('\n')).toMatch(/ALERT_EMAIL_TO\.0: each address must look like name@example\.com/);
    expect(p.join('\n')).toMatch(/ALERT_EVAL_INTERVAL_MS/);
    expect(p.join('\n')).toMatch(/ALERT_EMAIL_TO needs the email connector: set RESEND_API_KEY and EMAIL_FROM/);
  });

  it('describes every rule with its configured threshold and variable', () => {
    const rules = describeRules(loadConfig({ ALERT_SIGNUP_CRM_MS: '120000', UPTIME_FAILURES: '5' }).alerts);
    expect(rules.find((r) => r.rule === 'signup_without_crm')?.threshold).toBe('a signup without a HubSpot contact 2 min later (ALERT_SIGNUP_CRM_MS)');
    expect(rules.find((r) => r.rule === 'uptime')?.threshold).toMatch(/^5 consecutive failed probes/);
    expect(rules.find((r) => r.rule === 'payment_not_recovered')?.threshold).toContain('24 h');
  });
});
