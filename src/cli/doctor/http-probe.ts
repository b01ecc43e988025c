import http from 'node:http';
import https from 'node:https';

export interface ProbeAnswer {
  status: number;
  contentType: string;
  /** At most the first 64 KiB. */
  body: string;
}

const BODY_MAX = 64 * 1024;

/**
 * One HTTP(S) request for the doctor's URL checks: node:http(s), so an extra trusted CA (--ca) applies;
 * redirects are not followed (a redirect is an answer to report). Rejects with the socket or TLS error
 * (its `code`, e.g. ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT) or a timeout.
 */
export function probe(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: string[]; timeoutMs: number }): Promise<ProbeAnswer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}), agent: false, timeout: opts.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < BODY_MAX) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_MAX) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** "connection refused (ECONNREFUSED)", "certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)", … */
export function describeFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host not found (DNS)',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate, not trusted',
    SELF_SIGNED_CERT_IN_CHAIN: 'certificate chain ends in an untrusted self-signed certificate',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer not trusted (incomplete chain?)',
    CERT_HAS_EXPIRED: 'certificate expired',
    ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is for another host name',
  };
  return code ? `${known[code] ?? (err as Error).message} (${code})` : (err as Error).message;
}
