import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { int, str } from '../args.js';
import type { Command, OptionValues } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { parseDuration } from '../format.js';
import { json, line, type Io } from '../io.js';
import { fail, skip, DEFAULT_THRESHOLDS, type CheckResult, type Thresholds } from '../doctor/types.js';

/**
 * `handoff doctor`: one line per check, ✓ or ✗ with the fix; exit 0 only when every check passes.
 * Lines are printed as each check finishes (that is the progress). Nothing is written anywhere except
 * the --report file; connector checks only READ from providers.
 */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check configuration, database, backlog, connector credentials, the deployed URL, TLS and mail DNS',
  usage: '[--url URL] [--domain DOMAIN] [--report FILE.md]',
  details: `Checks: configuration (the start-up validation); database reachable and migrations current; a dispatcher
alive; the backlog (oldest pending job, dead letters, stuck leases); each enabled connector's credentials by
one cheap authenticated read. With --url: GET /api/health answers 200 and an unsigned POST to
/api/webhooks/stripe gets Handoff's 400 (a 404, 405 or HTML page means the route is not deployed there), and
for https the certificate is trusted and not about to expire. With --domain: SPF (at the domain or Resend's
send.<domain>), DKIM (<selector>._domainkey.<domain>) and DMARC records.
Database checks read through HANDOFF_URL's admin API when set, else as every command does (see handoff jobs --help).
Exit status: 0 all checks pass, 1 any check fails.`,
  options: {
    url: { type: 'string', value: 'URL', description: 'the deployed instance to check from outside (https://handoff.example.com)' },
    domain: { type: 'string', value: 'DOMAIN', description: 'the sending domain to check SPF, DKIM and DMARC for' },
    report: { type: 'string', value: 'FILE.md', description: 'also write the launch handover checklist (Markdown) to FILE.md' },
    'dkim-selector': { type: 'string', value: 'NAME', description: 'DKIM selector (default resend)' },
    dns: { type: 'string', value: 'HOST[:PORT]', description: 'DNS server for --domain (default DOCTOR_DNS_SERVER, else the system resolver)' },
    ca: { type: 'string', value: 'FILE', description: 'also trust this CA certificate (PEM) for --url, e.g. a staging CA' },
    'max-pending-age': { type: 'string', value: 'DURATION', description: 'oldest pending job allowed (default ALERT_OLDEST_PENDING_MS, 10m); e.g. 90s, 10m, 1h' },
    'max-dead': { type: 'string', value: 'N', description: 'dead letters tolerated (default 0)' },
    'max-stuck': { type: 'string', value: 'N', description: 'running jobs with an expired lease tolerated (default 0)' },
    'min-cert-days': { type: 'string', value: 'N', description: 'days a certificate must stay valid (default 14)' },
    timeout: { type: 'string', value: 'MS', description: 'per network check (default 5000)' },
  },
  async run(ctx) {
    const v = ctx.values;
    const url = str(v, 'url') && httpUrl(str(v, 'url')!);
    const domain = str(v, 'domain')?.trim();
    if (domain !== undefined && !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(domain)) throw new UsageError(`--domain must be a domain name like example.com, got ${JSON.stringify(domain.slice(0, 100))}`);
    const timeoutMs = int(v, 'timeout', 100, 120_000) ?? 5000;
    const ca = readCa(str(v, 'ca'));
    const reportFile = str(v, 'report');
    const dnsServer = str(v, 'dns') ?? (ctx.io.env.DOCTOR_DNS_SERVER?.trim() || undefined);
    const selector = str(v, 'dkim-selector') ?? 'resend';
    if (!/^[a-z0-9](?:[a-z0-9._-]{0,62})$/i.test(selector)) throw new UsageError('--dkim-selector must be a DNS label like resend or s1');

    const [{ checkConfig }, { checkConnectors }, { checkData }, { checkDns }, { renderReport }, { checkTls }, { checkUrl }] = await Promise.all([
      import('../doctor/config-check.js'),
      import('../doctor/connector-checks.js'),
      import('../doctor/data-checks.js'),
      import('../doctor/dns-checks.js'),
      import('../doctor/report.js'),
      import('../doctor/tls-check.js'),
      import('../doctor/url-checks.js'),
    ]);
    const checks: CheckResult[] = [];
    const add = (...cs: CheckResult[]) => {
      for (const c of cs) {
        checks.push(c);
        if (!ctx.json) printCheck(ctx.io, c);
      }
    };
    const { result, config } = checkConfig({ ...ctx.io.env });
    const thresholds = readThresholds(v, config?.alerts.oldestPendingMs);
    add(result);
    if (config) {
      add(...(await checkData(config, ctx.io.env.HANDOFF_URL?.trim() || undefined, thresholds)));
      add(...(await checkConnectors(config, timeoutMs)));
    } else {
      add(skip('database', 'database', 'configuration invalid'), skip('connectors', 'connector credentials', 'configuration invalid'));
    }
    if (url) {
      add(...(await checkUrl(url, { ca, timeoutMs })));
      if (url.startsWith('https:')) add(await checkTls(url, { ca, minDays: thresholds.minCertDays, timeoutMs }));
      else if (!isLoopback(new URL(url).hostname)) {
        add(fail('tls', 'TLS certificate', `${url} is plain http://`, 'serve Handoff over HTTPS (your platform or a reverse proxy): Stripe sends live-mode webhooks only to https:// URLs'));
      }
    }
    if (domain) add(...(await checkDns(domain, { selector, server: dnsServer, timeoutMs })));

    const failed = checks.filter((c) => c.status === 'fail');
    if (reportFile) {
      const md = renderReport({ checks, env: ctx.io.env, config, thresholds, url, domain, generatedAt: new Date() });
      try {
        writeFileSync(reportFile, md);
      } catch (err) {
        throw new CliError(`cannot write the report to ${reportFile}: ${(err as Error).message}`);
      }
    }
    if (ctx.json) json(ctx.io, { ok: failed.length === 0, checks, thresholds, ...(reportFile ? { report: reportFile } : {}) });
    else {
      line(ctx.io);
      line(ctx.io, failed.length === 0 ? `all ${checks.length} checks pass` : `${failed.length} of ${checks.length} checks fail`);
      if (reportFile) ctx.io.err(`handover checklist written to ${reportFile}\n`);
    }
    return failed.length === 0 ? 0 : 1;
  },
};

function printCheck(io: Io, c: CheckResult): void {
  const mark = c.status === 'pass' ? '✓' : c.status === 'fail' ? '✗' : '–';
  const detail = c.status === 'skip' ? `skipped: ${c.detail}` : c.detail;
  line(io, `${mark} ${c.title.padEnd(28)} ${detail}`);
  if (c.status === 'fail' && c.fix) line(io, `    fix: ${c.fix}`);
}

function readThresholds(v: OptionValues, alertPendingMs: number | undefined): Thresholds {
  const raw = str(v, 'max-pending-age');
  const age = raw === undefined ? undefined : parseDuration(raw);
  if (raw !== undefined && (age === undefined || age <= 0)) throw new UsageError('--max-pending-age must be a duration like 90s, 10m or 1h');
  return {
    maxPendingAgeMs: age ?? alertPendingMs ?? DEFAULT_THRESHOLDS.maxPendingAgeMs,
    maxDead: int(v, 'max-dead', 0, 1_000_000) ?? DEFAULT_THRESHOLDS.maxDead,
    maxStuck: int(v, 'max-stuck', 0, 1_000_000) ?? DEFAULT_THRESHOLDS.maxStuck,
    minCertDays: int(v, 'min-cert-days', 0, 3650) ?? DEFAULT_THRESHOLDS.minCertDays,
  };
}

function httpUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError('--url must start with http:// or https://');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** Node's public roots plus the given PEM file, or undefined (Node's defaults). */
function readCa(file: string | undefined): string[] | undefined {
  if (!file) return undefined;
  try {
    return [...rootCertificates, readFileSync(file, 'utf8')];
  } catch (err) {
    throw new UsageError(`--ca: cannot read ${file}: ${(err as Error).message}`);
  }
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
