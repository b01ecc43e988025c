import { afterEach, describe, expect, it } from 'vitest';
import { configuredConnectors, startSandbox, type Sandbox } from '../../src/sandbox/index.js';

describe('sandbox', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('a connector with ANY of its variables set counts as configured', () => {
    expect([...configuredConnectors({})]).toEqual([]);
    expect([...configuredConnectors({ HUBSPOT_ACCESS_TOKEN: 'pat', ZENDESK_EMAIL: 'a@b.c', EMAIL_FROM: ' ', OUTBOUND_WEBHOOK_SECRET: 'whsec_x' })].sort()).toEqual([
      'hubspot',
      'webhook',
      'zendesk',
    ]);
  });

  it('stands in for every unconfigured connector only, on loopback, with fresh credentials, and shows what was sent', async () => {
    sandbox = await startSandbox({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/real' });
    expect(sandbox.providers.map((p) => p.connector)).toEqual(['hubspot', 'zendesk', 'email', 'webhook']);
    expect(Object.keys(sandbox.env)).not.toContain('SLACK_WEBHOOK_URL');
    for (const v of ['HUBSPOT_BASE_URL', 'ZENDESK_BASE_URL', 'RESEND_BASE_URL', 'OUTBOUND_WEBHOOK_URL']) expect(sandbox.env[v]).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(sandbox.env.OUTBOUND_WEBHOOK_SECRET).toMatch(/^whsec_/);
    const again = await startSandbox({});
    try {
      expect(again.env.HUBSPOT_ACCESS_TOKEN).not.toBe(sandbox.env.HUBSPOT_ACCESS_TOKEN);
    } finally {
      await again.close();
    }

    // What would have been sent: recorded and readable, without the credentials.
    const res = await fetch(`${sandbox.env.HUBSPOT_BASE_URL}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` } });
    expect(res.status).toBe(200);
    const inspect = sandbox.providers.find((p) => p.connector === 'hubspot')!.inspect;
    const seen = (await (await fetch(inspect)).json()) as { requests: Array<Record<string, unknown>> };
    expect(seen.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/crm/v3/objects/contacts?limit=1' })]);
    expect(JSON.stringify(seen)).not.toContain(sandbox.env.HUBSPOT_ACCESS_TOKEN!);
  });
});
