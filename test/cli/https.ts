import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';

export interface TestCert {
  /** PEM file of the certificate (it is its own CA: pass it as `handoff doctor --ca`). */
  certFile: string;
  cert: string;
  key: string;
  remove(): void;
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid `days` days from now, made by openssl at test time. */
export function makeCert(days: number): TestCert {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-cert-'));
  const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(days),
    '-subj', '/CN=127.0.0.1/O=Handoff Test CA', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { certFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Serves a fetch handler (a Handoff app) over HTTPS on 127.0.0.1 with `cert`. */
export async function serveHttps(fetch: (req: Request) => Response | Promise<Response>, cert: TestCert): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1', createServer, serverOptions: { key: cert.key, cert: cert.cert } }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}
