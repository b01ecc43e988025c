import { isIP } from 'node:net';
import tls from 'node:tls';
import { describeFailure } from './http-probe.js';
import { fail, pass, type CheckResult } from './types.js';

const DAY_MS = 86_400_000;

/**
 * The certificate an https URL serves: trusted for its host name (Node's trust store, plus --ca) and
 * valid for at least `minDays` more days. The connection is only inspected, never sent a request.
 */
export async function checkTls(url: string, opts: { ca?: string[]; minDays: number; timeoutMs: number; now?: Date }): Promise<CheckResult> {
  const [id, title] = ['tls', 'TLS certificate'];
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  let peer: { authorized: boolean; error?: string; cert: tls.PeerCertificate };
  try {
    peer = await new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, ...(opts.ca ? { ca: opts.ca } : {}), timeout: opts.timeoutMs }, () => {
        const cert = socket.getPeerCertificate();
        resolve({ authorized: socket.authorized, error: socket.authorizationError ? String(socket.authorizationError) : undefined, cert });
        socket.end();
      });
      socket.on('timeout', () => socket.destroy(Object.assign(new Error(`timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      socket.on('error', reject);
    });
  } catch (err) {
    return fail(id, title, `${host}:${port}: ${describeFailure(err)}`, 'check that the URL serves HTTPS on that port');
  }
  if (!peer.cert || !peer.cert.valid_to) return fail(id, title, `${host}:${port} presented no certificate`, 'configure a certificate for this host (your platform or reverse proxy)');
  const expires = new Date(peer.cert.valid_to);
  const days = Math.floor((expires.getTime() - (opts.now ?? new Date()).getTime()) / DAY_MS);
  const until = `expires ${expires.toISOString().slice(0, 10)} (${days} day${days === 1 ? '' : 's'})`;
  if (!peer.authorized) {
    return fail(
      id,
      title,
      `not trusted: ${describeFailure(Object.assign(new Error(peer.error ?? 'unknown'), { code: peer.error }))}; ${until}`,
      'serve a certificate from a public CA for this host name (e.g. Let\'s Encrypt through your platform or proxy); Stripe refuses untrusted certificates',
    );
  }
  if (days < opts.minDays) return fail(id, title, `${until}, less than ${opts.minDays} days`, 'renew the certificate (and check that automatic renewal works)');
  const issuer = peer.cert.issuer?.O ?? peer.cert.issuer?.CN;
  return pass(id, title, `trusted for ${host}${issuer ? `, issued by ${issuer}` : ''}; ${until}`);
}
