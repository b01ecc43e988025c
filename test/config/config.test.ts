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

  it('still runs the cross-field checks when a variable fails to parse', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc', ZENDESK_EMAIL: 'x' });
    const text = problems.join('\n');
    expect(text).toMatch(/^PORT: /m);
    expect(text).toMatch(/Zendesk is partially configured: set ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, ZENDESK_API_TOKEN/);
    expect(text).toMatch(/STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production/);
    expect(text).toMatch(/HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production/);
    expect(problems).toHaveLength(4);
    expect(new Set(problems).size).toBe(problems.length);
  });

  it('reports an invalid-but-present production variable once, as invalid, not also as missing', () => {
    const problems = problemsOf({ NODE_ENV: 'production', STRIPE_WEBHOOK_SECRET: 'sk_live_oops', HANDOFF_ADMIN_TOKEN: 'short-secret' });
    const text = problems.join('\n');
    expect(text).toMatch(/STRIPE_WEBHOOK_SECRET.*whsec_/);
    expect(text).toMatch(/HANDOFF_ADMIN_TOKEN: must be at least 16 characters/);
    expect(text).not.toMatch(/required when NODE_ENV=production/);
    expect(problems).toHaveLength(2);
    expect(text).not.toContain('sk_live_oops');
  });

  it('treats blank values as unset: a whitespace-only variable does not half-configure a connector', () => {
    expect(loadConfig({ ZENDESK_EMAIL: '   ', HUBSPOT_ACCESS_TOKEN: '' }).zendesk).toBeUndefined();
    expect(problemsOf({ NODE_ENV: 'production', STRIPE_WEBHOOK_SECRET: ' , ', HANDOFF_ADMIN_TOKEN: '  ' })).toEqual([
      'STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production',
      'HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production',
    ]);
  });

  it('rejects a PORT above 65535 and accepts the bounds', () => {
    expect(problemsOf({ PORT: '99999' }).join('\n')).toMatch(/^PORT: /m);
    expect(problemsOf({ PORT: '65536' })).toHaveLength(1);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  it('requires JOB_LEASE_MS to be greater than HTTP_TIMEOUT_MS (a lease must outlive one provider call)', () => {
    for (const env of <Record<string, string>[]>[
      { JOB_LEASE_MS: '5000', HTTP_TIMEOUT_MS: '5000' },
      { JOB_LEASE_MS: '1500', HTTP_TIMEOUT_MS: '2000' },
      { JOB_LEASE_MS: '1500' }, // default timeout 10000
    ]) {
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^JOB_LEASE_MS must be greater than HTTP_TIMEOUT_MS \(/);
    }
    expect(loadConfig({ JOB_LEASE_MS: '1000', HTTP_TIMEOUT_MS: '900' }).dispatcher.leaseMs).toBe(1000);
    // An unparseable side is reported by name only, not compared.
    expect(problemsOf({ JOB_LEASE_MS: 'soon', HTTP_TIMEOUT_MS: '2000' })).toEqual([expect.stringMatching(/^JOB_LEASE_MS: /)]);
  });

  it('configures Zendesk from a subdomain when all its variables are set', () => {
    const c = loadConfig({ ZENDESK_SUBDOMAIN: 'acme', ZENDESK_EMAIL: 'ops@example.com', ZENDESK_API_TOKEN: 'tok' });
    expect(c.zendesk).toEqual({ baseUrl: 'https://acme.zendesk.com', email: 'ops@example.com', apiToken: 'tok' });
  });

  it('never puts a secret value in the error message', () => {
    const problems = problemsOf({ HANDOFF_ADMIN_TOKEN: 'short-secret', NODE_ENV: 'production' });
    expect(problems.join('\n')).not.toContain('short-secret');
  });
});
