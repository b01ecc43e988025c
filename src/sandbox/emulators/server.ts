import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultQueue, faultLabel, type Fault } from './faults.js';

/**
 * The plumbing every emulator shares: a real node:http server on 127.0.0.1 (random port), every
 * request recorded (faulted ones too, tagged), faults applied before the provider logic, and a
 * close() that ends held and keep-alive connections so a test never waits on them.
 */
export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  /** Parsed JSON, or the raw text when the body is not JSON (undefined when empty). */
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Set when a fault answered instead of the emulator: "503", "reset", "timeout". */
  fault?: string;
  /** When the request arrived (ms since epoch, at its headers): count calls per window from these. */
  at: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface EmulatorServer {
  url: string;
  requests: RecordedRequest[];
  faults: FaultQueue;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** The provider's own answer to a request (raw text given too, for JSON-parse errors). */
  handle(req: RecordedRequest, raw: string): Reply;
  /** The realistic body (and content type) for a status fault that did not bring its own. */
  faultBody(status: number): { body: string; contentType: string };
}

/**
 * What the emulator received, for a human (the sandbox prints this address): method, path, time and body of
 * every request, oldest first, without headers (they carry the credentials). Not itself recorded.
 */
export const INSPECT_PATH = '/_sandbox/requests';

function inspection(requests: readonly RecordedRequest[]) {
  return {
    requests: requests.map((r) => ({ at: new Date(r.at).toISOString(), method: r.method, path: r.path, ...(r.fault ? { fault: r.fault } : {}), body: r.body ?? null })),
  };
}

export async function startEmulatorServer(opts: ServerOptions): Promise<EmulatorServer> {
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && req.url === INSPECT_PATH) return send(res, { status: 200, body: inspection(requests) });
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body: parseBody(raw), headers: req.headers, at };
      requests.push(rec);
      const fault = faults.take(rec);
      const answer = () => {
        let reply: Reply;
        try {
          reply = opts.handle(rec, raw);
        } catch (err) {
          reply = { status: 500, body: { status: 'error', message: `emulator bug: ${String(err)}` } };
        }
        if (!res.destroyed) send(res, reply);
      };
      if (fault && 'kind' in fault && fault.kind === 'delay') {
        // A slow provider: the request IS processed, only late.
        rec.fault = faultLabel(fault);
        setTimeout(answer, fault.ms).unref();
        return;
      }
      if (fault) {
        rec.fault = faultLabel(fault);
        return applyFault(fault, req, res, opts);
      }
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        faults.clear();
        server.close(() => resolve());
        server.closeAllConnections(); // held 'timeout' requests and idle keep-alive sockets
      }),
  };
}

function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse, opts: ServerOptions): void {
  if (!('status' in fault)) {
    if (fault.kind === 'reset') req.socket.destroy();
    // 'delay' is handled by the caller; 'timeout': never answer.
    // 'timeout': never answer; the client's timeout (or close()) ends it.
    return;
  }
  const fallback = opts.faultBody(fault.status);
  const headers: Record<string, string> = { 'content-type': fallback.contentType, ...fault.headers };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  res.writeHead(fault.status, headers).end(fault.body ?? fallback.body);
}

function send(res: ServerResponse, reply: Reply): void {
  const isText = typeof reply.body === 'string';
  const body = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json;charset=utf-8',
    ...reply.headers,
  };
  res.writeHead(reply.status, headers).end(body);
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Key-order-independent JSON of a parsed body: what an emulator compares to decide whether a request
 * reusing an Idempotency-Key carries "the same parameters".
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
