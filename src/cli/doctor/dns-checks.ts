import { Resolver } from 'node:dns/promises';
import { fail, pass, type CheckResult } from './types.js';

export interface DnsOptions {
  /** DKIM selector (default "resend": Resend publishes resend._domainkey.<domain>). */
  selector: string;
  /** "host" or "host:port" of the DNS server to ask (default: the system's). */
  server?: string;
  timeoutMs: number;
}

type Lookup = { records: string[] } | { error: string };

/** TXT records at `name`, each record's strings joined; no record is an empty list, not an error. */
async function txt(resolver: Resolver, name: string): Promise<Lookup> {
  try {
    return { records: (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return { records: [] };
    return { error: `DNS lookup of ${name} failed (${code ?? (err as Error).message})` };
  }
}

const dnsFix = (o: DnsOptions) => `check that ${o.server ? `the DNS server ${o.server}` : 'this machine\'s DNS resolver'} answers (--dns SERVER chooses another)`;

/**
 * The sending domain's mail authentication: SPF (at the domain or Resend's return-path subdomain
 * send.<domain>), DKIM (<selector>._domainkey.<domain>) and DMARC (_dmarc.<domain>). Each is one line.
 */
export async function checkDns(domain: string, o: DnsOptions): Promise<CheckResult[]> {
  const resolver = new Resolver({ timeout: o.timeoutMs, tries: 2 });
  if (o.server) resolver.setServers([o.server]);
  const d = domain.trim().replace(/\.$/, '').toLowerCase();
  return [await spf(resolver, d, o), await dkim(resolver, d, o), await dmarc(resolver, d, o)];
}

async function spf(r: Resolver, d: string, o: DnsOptions): Promise<CheckResult> {
  const [id, title] = ['dns.spf', 'SPF'];
  const names = [`send.${d}`, d];
  const found: Array<{ name: string; record: string }> = [];
  for (const name of names) {
    const l = await txt(r, name);
    if ('error' in l) return fail(id, title, l.error, dnsFix(o));
    const spfs = l.records.filter((x) => /^v=spf1(\s|$)/i.test(x.trim()));
    if (spfs.length > 1) return fail(id, title, `${name} has ${spfs.length} SPF records: receivers treat that as an error (permerror)`, `merge them into one v=spf1 record at ${name}`);
    if (spfs[0]) found.push({ name, record: spfs[0].trim() });
  }
  if (found.length === 0) {
    return fail(id, title, `no SPF record at send.${d} or ${d}`, `publish the SPF TXT record your email provider shows (Resend: v=spf1 include:amazonses.com ~all at send.${d})`);
  }
  const open = found.find((f) => /\s\+all\b/i.test(f.record));
  if (open) return fail(id, title, `${open.name}: ${open.record} lets any server send as ${d}`, 'end the record with ~all or -all instead of +all');
  return pass(id, title, found.map((f) => `${f.name}: ${f.record}`).join('; '));
}

async function dkim(r: Resolver, d: string, o: DnsOptions): Promise<CheckResult> {
  const [id, title] = ['dns.dkim', 'DKIM'];
  const name = `${o.selector}._domainkey.${d}`;
  const l = await txt(r, name);
  if ('error' in l) return fail(id, title, l.error, dnsFix(o));
  const keys = l.records.filter((x) => /(^|;)\s*p=/i.test(x));
  if (keys.length === 0) {
    return fail(id, title, `no DKIM key at ${name}`, `publish the DKIM TXT record your email provider shows at ${name} (another selector: --dkim-selector NAME)`);
  }
  const p = /(?:^|;)\s*p=([^;]*)/i.exec(keys[0]!)?.[1]?.trim() ?? '';
  if (!p) return fail(id, title, `${name} has an empty key (p=): the key is revoked`, 'publish the current DKIM key from your email provider');
  return pass(id, title, `${name}: key published (${p.length} characters)`);
}

async function dmarc(r: Resolver, d: string, o: DnsOptions): Promise<CheckResult> {
  const [id, title] = ['dns.dmarc', 'DMARC'];
  const name = `_dmarc.${d}`;
  const l = await txt(r, name);
  if ('error' in l) return fail(id, title, l.error, dnsFix(o));
  const recs = l.records.filter((x) => /^v=DMARC1\s*(;|$)/i.test(x.trim()));
  const fix = `publish one TXT record at ${name}, e.g. "v=DMARC1; p=none; rua=mailto:dmarc@${d}" (then tighten to quarantine)`;
  if (recs.length === 0) return fail(id, title, `no DMARC record at ${name}`, fix);
  if (recs.length > 1) return fail(id, title, `${name} has ${recs.length} DMARC records: receivers ignore them all`, `keep one: ${fix}`);
  const policy = /(?:^|;)\s*p=\s*(\w+)/i.exec(recs[0]!)?.[1]?.toLowerCase();
  if (!policy || !['none', 'quarantine', 'reject'].includes(policy)) return fail(id, title, `${name}: ${recs[0]} has no valid policy (p=none|quarantine|reject)`, fix);
  return pass(id, title, `${name}: p=${policy}${policy === 'none' ? ' (monitoring only)' : ''}`);
}
