import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, STRIPE_SECRET, startTestApp, type TestApp } from '../support/app.js';
import { useTestDb } from '../support/db.js';
import { startDnsServer, type TestDnsServer } from '../support/dns.js';
import { cli, closedPort } from './cli.js';
import { makeCert, serveHttps, type TestCert } from './https.js';

const line = (out: string, title: string) => out.split('\n').find((l) => l.slice(2).startsWith(`${title} `)) ?? `(no line for ${title}: ${out})`;
/** The fix printed under a check's line (after its detail lines), if any. */
const fixOf = (out: string, title: string) => {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.slice(2).startsWith(`${title} `));
  const next = lines.slice(i + 1).findIndex((l) => /^[✓✗–] /.test(l) || l.startsWith('    fix: '));
  const found = next === -1 ? undefined : lines[i + 1 + next];
  return found?.startsWith('    fix: ') ? found.slice('    fix: '.length) : undefined;
};

/**
 * The checks that look at a deployment from outside — the public URL, its TLS certificate, the sending
 * domain's DNS — and the configuration check. Local servers only: a Handoff instance, a plain HTTP
 * server standing in for "something else answers", HTTPS with certificates made by openssl at test
 * time, and a DNS server (dns2) on loopback.
 */
describe('handoff doctor from outside: configuration, --url, TLS and --domain', () => {
  const t = useTestDb('pglite');
  let rt: TestApp;
  let other: Server;
  let otherUrl: string;
  let dns: TestDnsServer;
  const certs: TestCert[] = [];
  /** The CLI reaches the instance's data through its admin API; no connector is configured. */
  const env = (extra: Record<string, string | undefined> = {}) => ({ HANDOFF_URL: rt.url!, HANDOFF_ADMIN_TOKEN: ADMIN_TOKEN, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, ...extra });

  beforeAll(async () => {
    rt = await startTestApp(t, { web: true, worker: true, env: { ALERT_EVAL_INTERVAL_MS: '0' } });
    // Another app on the URL: an HTML 404 for everything except a health-looking GET; POST is a 405.
    other = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/api/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      if (req.method === 'POST') return void res.writeHead(405, { 'content-type': 'application/json' }).end('{"message":"Method Not Allowed"}');
      res.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>404</body></html>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    dns = await startDnsServer({});
  });
  afterAll(async () => {
    await rt.close();
    await new Promise<void>((r) => other.close(() => r()));
    await dns.close();
    for (const c of certs) c.remove();
  });

  it('configuration: lists every problem at once (names, never values) and skips what needs it', async () => {
    const r = await cli(['doctor'], { NODE_ENV: 'production', ZENDESK_EMAIL: 'ops@example.com', PORT: '99999', HUBSPOT_BASE_URL: 'not a url', RESEND_API_KEY: 're_secret_value_123' });
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('✗ configuration                6 problems:');
    expect(lines.slice(1, 7).map((l) => l.trim()).sort()).toEqual(
      [
        '- PORT: Too big: expected number to be <=65535',
        '- HUBSPOT_BASE_URL: must be an absolute URL (http:// or https://)',
        '- Zendesk is partially configured: set ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, ZENDESK_API_TOKEN (or unset ZENDESK_EMAIL)',
        '- Email (Resend) is partially configured: set EMAIL_FROM (or unset RESEND_API_KEY)',
        '- STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production',
        '- HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production',
      ].sort(),
    );
    expect(fixOf(r.out, 'configuration')).toContain('set or correct the variables listed');
    expect(line(r.out, 'database')).toBe('– database                     skipped: configuration invalid');
    expect(r.out).not.toContain('re_secret_value_123');
  });

  it('database: says why it cannot be reached and skips what depends on it', async () => {
    const port = await closedPort();
    const r = await cli(['doctor'], env({ HANDOFF_URL: `http://127.0.0.1:${port}` }));
    expect(r.code).toBe(1);
    expect(line(r.out, 'database')).toBe(`✗ database                     no Handoff server answered at http://127.0.0.1:${port} (connection refused)`);
    expect(fixOf(r.out, 'database')).toBe('start Handoff, or set HANDOFF_URL to the address of the running server');
    for (const title of ['migrations', 'dispatcher', 'backlog: oldest pending job', 'backlog: dead letters', 'backlog: stuck leases']) {
      expect(line(r.out, title)).toMatch(/^– .* skipped: database not reachable$/);
    }
  });

  it('--url: Handoff answers health and refuses an unsigned webhook with its own 400', async () => {
    const r = await cli(['doctor', '--url', `${rt.url}/`], env());
    expect(r.code).toBe(0);
    expect(line(r.out, 'health endpoint')).toBe(`✓ health endpoint              GET ${rt.url}/api/health → 200`);
    expect(line(r.out, 'stripe webhook route')).toMatch(/^✓ .*→ 400 invalid_signature: deployed, and it verifies signatures$/);
    expect(r.out).not.toContain('TLS certificate'); // plain http on loopback: nothing to check
  });

  it('--url: a 404, 405 or HTML page means the route is not deployed there', async () => {
    const r = await cli(['doctor', '--url', otherUrl], env());
    expect(r.code).toBe(1);
    expect(line(r.out, 'health endpoint')).toBe(`✓ health endpoint              GET ${otherUrl}/api/health → 200`);
    expect(line(r.out, 'stripe webhook route')).toBe(`✗ stripe webhook route         POST ${otherUrl}/api/webhooks/stripe → 405: the webhook route is not deployed here`);
    expect(fixOf(r.out, 'stripe webhook route')).toMatch(/^deploy Handoff's web role at this URL and route \/api\/webhooks\/\* to it unchanged/);

    const sub = await cli(['doctor', '--url', `${otherUrl}/handoff`], env());
    expect(line(sub.out, 'health endpoint')).toBe(`✗ health endpoint              GET ${otherUrl}/handoff/api/health → 404 (an HTML page): not Handoff's health answer`);
    expect(line(sub.out, 'stripe webhook route')).toBe(`✗ stripe webhook route         POST ${otherUrl}/handoff/api/webhooks/stripe → 405: the webhook route is not deployed here`);

    const port = await closedPort();
    const none = await cli(['doctor', '--url', `http://127.0.0.1:${port}`], env());
    expect(line(none.out, 'health endpoint')).toBe(`✗ health endpoint              GET http://127.0.0.1:${port}/api/health: connection refused (ECONNREFUSED)`);
  });

  it('--url: an instance without STRIPE_WEBHOOK_SECRET is deployed but refuses every Stripe delivery', async () => {
    const bare = await startTestApp(t, { web: true, env: { STRIPE_WEBHOOK_SECRET: undefined } });
    try {
      const r = await cli(['doctor', '--url', bare.url!], env());
      expect(line(r.out, 'stripe webhook route')).toBe(
        '✗ stripe webhook route         the route is deployed but the instance has no STRIPE_WEBHOOK_SECRET: it refuses every Stripe delivery',
      );
    } finally {
      await bare.close();
    }
  });

  it('TLS: an untrusted certificate fails; trusted (--ca) it passes with days to expiry; one about to expire fails', async () => {
    const month = makeCert(30);
    const week = makeCert(5);
    certs.push(month, week);
    const httpsMonth = await serveHttps(rt.app.fetch, month);
    const httpsWeek = await serveHttps(rt.app.fetch, week);
    try {
      const untrusted = await cli(['doctor', '--url', httpsMonth.url], env());
      expect(untrusted.code).toBe(1);
      expect(line(untrusted.out, 'TLS certificate')).toMatch(
        /^✗ TLS certificate\s+not trusted: self-signed certificate, not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); expires \d{4}-\d\d-\d\d \(29 days\)$/,
      );
      expect(fixOf(untrusted.out, 'TLS certificate')).toContain('Stripe refuses untrusted certificates');
      expect(line(untrusted.out, 'health endpoint')).toContain('self-signed certificate, not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)');

      const trusted = await cli(['doctor', '--url', httpsMonth.url, '--ca', month.certFile], env());
      expect(trusted.out).toContain('✓ health endpoint');
      expect(trusted.out).toContain('✓ stripe webhook route');
      expect(line(trusted.out, 'TLS certificate')).toMatch(/^✓ TLS certificate\s+trusted for 127\.0\.0\.1, issued by Handoff Test CA; expires \d{4}-\d\d-\d\d \(29 days\)$/);
      expect(trusted.code).toBe(0);

      const soon = await cli(['doctor', '--url', httpsWeek.url, '--ca', week.certFile], env());
      expect(soon.code).toBe(1);
      expect(line(soon.out, 'TLS certificate')).toMatch(/^✗ TLS certificate\s+expires \d{4}-\d\d-\d\d \(4 days\), less than 14 days$/);
      expect(fixOf(soon.out, 'TLS certificate')).toBe('renew the certificate (and check that automatic renewal works)');
      expect((await cli(['doctor', '--url', httpsWeek.url, '--ca', week.certFile, '--min-cert-days', '3'], env())).code).toBe(0);
    } finally {
      await httpsMonth.close();
      await httpsWeek.close();
    }
  });

  const DKIM_KEY = 'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDZ' + 'x'.repeat(180) + 'IDAQAB';

  it('--domain: SPF (domain or send.<domain>), DKIM and DMARC from the DNS server', async () => {
    dns.zone = {
      'send.acme.test': ['v=spf1 include:amazonses.com ~all', 'some-other-verification=1'],
      'resend._domainkey.acme.test': [`p=${DKIM_KEY}`],
      '_dmarc.acme.test': ['v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test'],
      'acme.test': ['google-site-verification=abc'],
    };
    const r = await cli(['doctor', '--domain', 'acme.test', '--dns', dns.server], env());
    expect(r.code).toBe(0);
    expect(line(r.out, 'SPF')).toBe('✓ SPF                          send.acme.test: v=spf1 include:amazonses.com ~all');
    expect(line(r.out, 'DKIM')).toBe(`✓ DKIM                         resend._domainkey.acme.test: key published (${DKIM_KEY.length} characters)`);
    expect(line(r.out, 'DMARC')).toBe('✓ DMARC                        _dmarc.acme.test: p=quarantine');
    expect(dns.queries).toEqual(expect.arrayContaining(['TXT send.acme.test', 'TXT acme.test', 'TXT resend._domainkey.acme.test', 'TXT _dmarc.acme.test']));

    // DOCTOR_DNS_SERVER chooses the server too; another selector; a long key split in 255-byte strings.
    dns.zone = {
      'acme.test': ['v=spf1 include:_spf.example.net -all'],
      's1._domainkey.acme.test': [['v=DKIM1; k=rsa; p=' + 'A'.repeat(200), 'B'.repeat(200)]],
      '_dmarc.acme.test': ['v=DMARC1; p=none'],
    };
    const s1 = await cli(['doctor', '--domain', 'acme.test', '--dkim-selector', 's1'], env({ DOCTOR_DNS_SERVER: dns.server }));
    expect(s1.code, s1.out).toBe(0);
    expect(line(s1.out, 'SPF')).toBe('✓ SPF                          acme.test: v=spf1 include:_spf.example.net -all');
    expect(line(s1.out, 'DKIM')).toBe('✓ DKIM                         s1._domainkey.acme.test: key published (400 characters)');
    expect(line(s1.out, 'DMARC')).toBe('✓ DMARC                        _dmarc.acme.test: p=none (monitoring only)');
  });

  it('--domain: missing or broken records fail with the record to publish', async () => {
    dns.zone = {
      'acme.test': ['v=spf1 +all'],
      'resend._domainkey.acme.test': ['v=DKIM1; p='],
      '_dmarc.acme.test': ['v=DMARC1; p=none', 'v=DMARC1; p=reject'],
    };
    const r = await cli(['doctor', '--domain', 'acme.test', '--dns', dns.server], env());
    expect(r.code).toBe(1);
    expect(line(r.out, 'SPF')).toBe('✗ SPF                          acme.test: v=spf1 +all lets any server send as acme.test');
    expect(line(r.out, 'DKIM')).toBe('✗ DKIM                         resend._domainkey.acme.test has an empty key (p=): the key is revoked');
    expect(line(r.out, 'DMARC')).toBe('✗ DMARC                        _dmarc.acme.test has 2 DMARC records: receivers ignore them all');

    dns.zone = {};
    const none = await cli(['doctor', '--domain', 'acme.test', '--dns', dns.server], env());
    expect(line(none.out, 'SPF')).toBe('✗ SPF                          no SPF record at send.acme.test or acme.test');
    expect(fixOf(none.out, 'SPF')).toBe('publish the SPF TXT record your email provider shows (Resend: v=spf1 include:amazonses.com ~all at send.acme.test)');
    expect(line(none.out, 'DKIM')).toBe('✗ DKIM                         no DKIM key at resend._domainkey.acme.test');
    expect(line(none.out, 'DMARC')).toBe('✗ DMARC                        no DMARC record at _dmarc.acme.test');
    expect(fixOf(none.out, 'DMARC')).toBe('publish one TXT record at _dmarc.acme.test, e.g. "v=DMARC1; p=none; rua=mailto:dmarc@acme.test" (then tighten to quarantine)');

    const silent = await closedPort();
    const down = await cli(['doctor', '--domain', 'acme.test', '--dns', `127.0.0.1:${silent}`, '--timeout', '300'], env());
    expect(line(down.out, 'SPF')).toMatch(/^✗ SPF\s+DNS lookup of send\.acme\.test failed \((ECONNREFUSED|ETIMEOUT)\)$/);
    expect((await cli(['doctor', '--domain', 'not a domain'], env())).code).toBe(2);
  });
});
