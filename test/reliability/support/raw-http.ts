/**
 * Bytes on a socket, for what fetch refuses to send: CR/LF and NUL in headers, obs-fold, conflicting
 * Content-Length / Transfer-Encoding (smuggling), broken chunking, non-HTTP preambles. Each request gets
 * its own connection; the answer is whatever status line comes back before `ms` (or none).
 */
import net from 'node:net';

export interface RawAnswer {
  /** HTTP status of the first response, or undefined when the server closed or stayed silent. */
  status?: number;
  /** Every status line seen (a smuggled second request would show up as a second one). */
  statuses: number[];
  closed: boolean;
}

export function rawRequest(url: string, bytes: string | Buffer, ms = 1500): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let data = '';
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...data.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ status: statuses[0], statuses, closed });
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

/** Handcrafted request-smuggling and framing attacks; every one must get a 4xx or a close, never a 5xx. */
export function framingAttacks(host: string): Array<[name: string, bytes: string | Buffer]> {
  const json = '{"id":"smuggle","type":"user.signed_up","customer":{"email":"s@example.com"}}';
  return [
    ['a plain GET (control)', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['a bare LF line ending', `GET /api/health HTTP/1.1\nHost: ${host}\nConnection: close\n\n`],
    ['a NUL in a header value', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nX-A: a\0b\r\nConnection: close\r\n\r\n`],
    ['a CR alone inside a header value', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nX-A: a\rb\r\nConnection: close\r\n\r\n`],
    ['obs-fold', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n`],
    ['a space before the colon', `GET /api/health HTTP/1.1\r\nHost : ${host}\r\nConnection: close\r\n\r\n`],
    ['Content-Length and Transfer-Encoding', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /api/admin/keys HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
    ['two different Content-Lengths', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nContent-Length: 40\r\nConnection: close\r\n\r\n${json}`],
    ['a negative Content-Length', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`],
    ['a non-numeric Content-Length', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1e3\r\nConnection: close\r\n\r\n`],
    ['Transfer-Encoding: xchunked', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: xchunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['a broken chunk size', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`],
    ['a huge chunk size', `POST /api/webhooks/stripe HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFFFFFFFFFF\r\nhello\r\n`],
    ['an invalid method', `G ET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['a made-up method', `BREW /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['a space in the target', `GET /api/he alth HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['an absolute-form target', `POST http://evil.example/api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`],
    ['an asterisk-form target', `OPTIONS * HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['CONNECT', `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
    ['HTTP/0.9', 'GET /api/health\r\n\r\n'],
    ['HTTP/2.0 on an HTTP/1 port', `GET /api/health HTTP/2.0\r\nHost: ${host}\r\n\r\n`],
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['a TLS ClientHello', Buffer.from('160301002e0100002a0303' + '00'.repeat(32) + '000002002f0100', 'hex')],
    ['a 100 KB header', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(100_000)}\r\nConnection: close\r\n\r\n`],
    ['2,000 headers', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`],
    ['a request-id carrying a header break', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nX-Request-Id: a\r\nSet-Cookie: pwn=1\r\nConnection: close\r\n\r\n`],
    ['Expect: 100-continue without a body', `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 10\r\nConnection: close\r\n\r\n`],
    ['pipelined requests', `GET /api/health HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /api/health HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /api/ready HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ['a body shorter than Content-Length', `POST /api/webhooks/stripe HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nStripe-Signature: t=1,v1=00\r\nConnection: close\r\n\r\n{"id":`],
    ['no Host header', 'GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))],
    ['an empty line only', '\r\n\r\n'],
  ];
}
