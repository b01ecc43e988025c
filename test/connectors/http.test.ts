import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, providerFetch } from '../../src/connectors/index.js';
import { ProviderError } from '../../src/errors.js';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';

/** Runs `fn`, expecting a ProviderError, and returns it. */
async function failure(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError, got success');
}

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const TOKEN = 'super-secret-token-123456';
const post = (url: string, timeoutMs = 2000, extra: Partial<Parameters<typeof providerFetch>[3]> = {}) =>
  providerFetch(
    'slack',
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ text: 'hi' }) },
    { timeoutMs, ...extra },
  );

describe('providerFetch against a real server', () => {
  let emu: SlackEmulator;
  beforeAll(async () => {
    emu = await startSlackEmulator();
  });
  afterAll(() => emu.close());
  afterEach(() => emu.faults.clear());

  it('returns the 2xx response with its body', async () => {
    const res = await post(emu.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('503 → kind http with status and the body as message, no Retry-After', async () => {
    emu.faults.push({ status: 503 });
    const err = await failure(() => post(emu.url));
    expect(err.kind).toBe('http');
    expect(err.httpStatus).toBe(503);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.provider).toBe('slack');
    expect(err.message).toBe('slack POST → HTTP 503: service_unavailable');
  });

  it('429 with Retry-After seconds → retryAfterMs', async () => {
    emu.faults.push({ status: 429, retryAfter: 7 });
    const err = await failure(() => post(emu.url));
    expect(err.httpStatus).toBe(429);
    expect(err.retryAfterMs).toBe(7000);
  });

  it('503 with Retry-After as an HTTP date → ms from the injected clock', async () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    emu.faults.push({ status: 503, retryAfter: 'Fri, 20 Nov 2026 10:01:30 GMT' });
    const err = await failure(() => post(emu.url, 2000, { now: () => now }));
    expect(err.retryAfterMs).toBe(90_000);
  });

  it('JSON error bodies give their message (and policy) in short form, without the token or the URL', async () => {
    const echo = JSON.stringify({ status: 'error', message: `bad token Bearer ${TOKEN} for ${emu.url} ${'x'.repeat(400)}`, policyName: 'DAILY' });
    emu.faults.push({ status: 400, body: echo, headers: { 'content-type': 'application/json' } });
    const err = await failure(() => post(emu.url));
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(emu.url);
    expect(err.message).not.toContain('/services/');
    expect(err.message).toContain('[redacted]');
    expect(err.message.length).toBeLessThan(260);
  });

  it('statuses listed in `expect` are returned, body intact', async () => {
    emu.faults.push({ status: 404 });
    const res = await post(emu.url, 2000, { expect: [404] });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('channel_not_found');
  });

  it('a reset socket → kind network', async () => {
    emu.faults.push({ kind: 'reset' });
    const err = await failure(() => post(emu.url));
    expect(err.kind).toBe('network');
    expect(err.httpStatus).toBeUndefined();
  });

  it('a server that never answers → kind timeout after timeoutMs', async () => {
    emu.faults.push({ kind: 'timeout' });
    const started = Date.now();
    const err = await failure(() => post(emu.url, 150));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("the caller's abort → kind timeout, reported as an abort", async () => {
    emu.faults.push({ kind: 'timeout' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await failure(() => post(emu.url, 5000, { signal: ac.signal }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('aborted by the caller');
  });

  it('a signal aborted before the call sends nothing', async () => {
    const before = emu.requests.length;
    const err = await failure(() => post(emu.url, 5000, { signal: AbortSignal.abort() }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('aborted by the caller');
    expect(emu.requests.length).toBe(before);
  });

  it('answers as fetch would: headers by any case, repeated ones joined; json(); no body on 204', async () => {
    const raw = await rawServer((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204).end();
        return;
      }
      res.setHeader('X-Idempotency-Lookup', 'hit');
      res.setHeader('Vary', ['Accept', 'Origin']);
      res.writeHead(201, 'Created', { 'content-type': 'application/json' }).end('{"ticket":{"id":7}}');
    });
    try {
      const res = await post(raw.url);
      expect([res.status, res.statusText, res.ok]).toEqual([201, 'Created', true]);
      expect(res.headers.get('x-idempotency-lookup')).toBe('hit');
      expect(res.headers.get('X-Idempotency-Lookup')).toBe('hit');
      expect(res.headers.get('vary')).toBe('Accept, Origin');
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.json()).toEqual({ ticket: { id: 7 } });
      const empty = await post(`${raw.url}/empty`);
      expect([empty.status, await empty.text()]).toEqual([204, '']);
      await expect(empty.json()).rejects.toBeInstanceOf(SyntaxError);
    } finally {
      await raw.close();
    }
  });

  it('a window fails every request until it ends', async () => {
    emu.faults.failFor(300, { status: 503 });
    expect((await failure(() => post(emu.url))).httpStatus).toBe(503);
    expect((await failure(() => post(emu.url))).httpStatus).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    expect((await post(emu.url)).status).toBe(200);
  });

  it('faults are consumed first-match and recorded on the request log', async () => {
    emu.faults.push({ status: 500, match: { method: 'GET' } }, { status: 502 });
    expect((await failure(() => post(emu.url))).httpStatus).toBe(502); // the GET-only fault stays queued
    expect(emu.faults.pending).toBe(1);
    expect(emu.requests.at(-1)?.fault).toBe('502');
  });
});

describe('providerFetch transport failures', () => {
  it('connection refused → kind network (ECONNREFUSED)', async () => {
    const s = await rawServer(() => undefined);
    await s.close(); // the port is now closed
    const err = await failure(() => post(s.url));
    expect(err.kind).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('socket hang up mid-response → kind network', async () => {
    const s = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const err = await failure(() => post(s.url));
      expect(err.kind).toBe('network');
    } finally {
      await s.close();
    }
  });

  it('a body that stalls after the headers → kind timeout (the budget covers the body)', async () => {
    const s = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('ok so far…'); // and never end
    });
    try {
      const err = await failure(() => post(s.url, 200));
      expect(err.kind).toBe('timeout');
    } finally {
      await s.close();
    }
  });

  it('redirects are not followed: 3xx → kind http', async () => {
    const s = await rawServer((_req, res) => res.writeHead(301, { location: 'https://elsewhere.example/' }).end());
    try {
      const err = await failure(() => post(s.url));
      expect(err.kind).toBe('http');
      expect(err.httpStatus).toBe(301);
      expect(err.message).toContain('check the base URL');
    } finally {
      await s.close();
    }
  });

  it('a request that cannot be built → kind protocol, token not quoted', async () => {
    const badHeader = await failure(() =>
      providerFetch('hubspot', 'http://127.0.0.1:9/x', { headers: { authorization: `Bearer ${TOKEN}\nX-Evil: 1` } }, { timeoutMs: 500 }),
    );
    expect(badHeader.kind).toBe('protocol');
    expect(badHeader.message).toMatch(/invalid character in header/i);
    expect(badHeader.message).not.toContain(TOKEN);
    const badUrl = await failure(() => providerFetch('slack', 'not a url/secret-path', {}, { timeoutMs: 500 }));
    expect(badUrl.kind).toBe('protocol');
    expect(badUrl.message).not.toContain('secret-path');
    expect(badUrl.cause).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1.5', 1500],
    [' 3 ', 3000],
    ['Fri, 20 Nov 2026 10:00:10 GMT', 10_000],
    ['Friday, 20-Nov-26 10:00:05 GMT', 5000],
    ['Fri Nov 20 10:00:02 2026', 2000],
    ['Thu, 19 Nov 2026 10:00:00 GMT', 0], // in the past
  ])('%j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, undefined, '', '-5', 'soon', 'soon 2', '1e3'])('%j → undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('accepts a Date for now', () => {
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:01:00 GMT', new Date(now))).toBe(60_000);
  });
});
