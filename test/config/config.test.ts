import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration', () => {
  it('runs with no configuration at all: embedded PGlite, port 3000, no connectors', () => {
    const c = loadConfig({});
    expect(c.database).toEqual({ kind: 'pglite', dataDir: './.handoff' });
    expect(c.port).toBe(3000);
    expect(c.hubspot).toBeUndefined();
    expect(c.slack).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.dispatcher)).toBe(true);
  });

  it('selects PostgreSQL with DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
  });

  it('lists EVERY problem in one error: partial connectors, production requirements, bad values', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      ZENDESK_EMAIL: 'ops@example.com',
      HUBSPOT_LIFECYCLE_MAP: 'paid=customer,vip=evangelist',
    });
    expect(problems.join('\n')).toMatch(/Zendesk is partially configured: set ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, ZENDESK_API_TOKEN/);
    expect(problems.join('\n')).toMatch(/STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production/);
    expect(problems.join('\n')).toMatch(/HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production/);
    expect(problems.join('\n')).toMatch(/HUBSPOT_LIFECYCLE_MAP: "vip=evangelist"/);
    expect(problems).toHaveLength(4);
  });

  it('reports every invalid variable at once, by name', () => {
    const problems = problemsOf({ PORT: 'eighty', STRIPE_WEBHOOK_SECRET: 'sk_live_oops', SLACK_WEBHOOK_URL: 'hooks.slack.com/x', DATABASE_URL: 'mysql://x' });
    const text = problems.join('\n');
    for (const name of ['PORT', 'STRIPE_WEBHOOK_SECRET', 'SLACK_WEBHOOK_URL', 'DATABASE_URL']) expect(text).toContain(name);
  });

  it('accepts several comma-separated Stripe secrets (rotation) and a custom lifecycle map', () => {
    const c = loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_a, whsec_b', HUBSPOT_ACCESS_TOKEN: 'pat-x', HUBSPOT_LIFECYCLE_MAP: 'trial=lead' });
    expect(c.stripe.webhookSecrets).toEqual(['whsec_a', 'whsec_b']);
    expect(c.hubspot?.lifecycleMap.trial).toBe('lead');
    expect(c.hubspot?.lifecycleMap.paid).toBe('customer');
    expect(c.hubspot?.baseUrl).toBe('https://api.hubapi.com');
  });

  it('never puts a secret value in the error message', () => {
    const problems = problemsOf({ HANDOFF_ADMIN_TOKEN: 'short-secret', NODE_ENV: 'production' });
    expect(problems.join('\n')).not.toContain('short-secret');
  });
});
