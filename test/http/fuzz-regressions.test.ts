import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEventRequest, signStripe, startTestApp, writeCounts, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { loadFixtureEvent } from '../support/stripe-fixtures.js';
import { waitUntil } from '../support/wait.js';

/** Inputs the bad-input fuzzer (test/reliability/fuzz.test.ts) turned into 5xx once; each must stay a 4xx. */
describe.each(DB_KINDS)('fuzz regressions on %s', (kind) => {
  const t = useTestDb(kind);
  let rt: TestApp;
  beforeAll(async () => {
    rt = await startTestApp(t, { web: true });
  });
  afterAll(async () => {
    await rt.close();
  });

  const deepArray = (d: number) => '['.repeat(d) + ']'.repeat(d);
  const deepObject = (d: number) => '{"a":'.repeat(d) + 'null' + '}'.repeat(d);
  // 130,900 zeros: 262 KB of JSON, just under the 256 KiB body limit, and too many to spread as arguments.
  const wide = `[${Array.from({ length: 130_900 }, () => '0').join(',')}]`;

  it.each([
    ['an array nested 20,000 deep', deepArray(20_000)],
    ['an object nested 10,000 deep', deepObject(10_000)],
  ])('a signed Stripe event carrying %s → 400 naming the nesting, no rows', async (_name, fragment) => {
    const before = await writeCounts(rt);
    const evt = loadFixtureEvent('invoice_paid') as unknown as Record<string, unknown>;
    evt.id = `evt_deep_${fragment.length}`;
    (evt.data as { object: Record<string, unknown> }).object.metadata = '__DEEP__';
    const body = JSON.stringify(evt).replace('"__DEEP__"', fragment);
    const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body) } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining('levels deep') });
    expect(await writeCounts(rt)).toEqual(before);
  });

  it('a signed subscription event whose status is a deeply nested array → 400, not a 500 while naming the status', async () => {
    const evt = loadFixtureEvent('subscription_updated') as unknown as { id: string; data: { object: Record<string, unknown> } };
    evt.id = 'evt_deep_status';
    evt.data.object.status = '__DEEP__';
    const body = JSON.stringify(evt).replace('"__DEEP__"', deepArray(20_000));
    const res = await rt.app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body) } });
    expect(res.status).toBe(400);
  });

  it.each([
    ['an array nested 20,000 deep', deepArray(20_000), 400],
    ['an object nested 10,000 deep', deepObject(10_000), 400],
    ['an array of 130,900 elements', wide, 200],
  ])('an app event whose data carries %s → %s, never 500', async (_name, fragment, status) => {
    const body = `{"id":"frag-${fragment.length}","type":"user.signed_up","customer":{"email":"frag@example.com"},"data":{"x":${fragment}}}`;
    const res = await rt.app.request('/api/events', appEventRequest(body));
    expect(res.status).toBe(status);
  });

  it('nesting a real sender uses (100 levels) is still accepted', async () => {
    const res = await rt.app.request('/api/events', appEventRequest(`{"id":"deep-ok","type":"user.signed_up","customer":{"email":"ok@example.com"},"data":{"x":${deepArray(98)}}}`));
    expect(res.status).toBe(200);
  });

  /** Writes `head` (+ part of a body) on a raw socket and closes it before the body is complete. */
  const abandon = (bytes: string) =>
    new Promise<void>((resolve) => {
      const u = new URL(rt.url!);
      const s = net.connect(Number(u.port), u.hostname, () => s.write(bytes, () => setTimeout(() => s.destroy(), 100)));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });

  it.each([
    ['Content-Length', (host: string) => `POST /api/webhooks/stripe HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nStripe-Signature: t=1,v1=00\r\n\r\n{"id":`],
    ['chunked', (host: string) => `POST /api/webhooks/stripe HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{"id":\r\n`],
    ['Content-Length, admin API', (host: string) => `POST /api/admin/keys HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer admin-token-0123456789abcdef\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name":`],
  ])('a body abandoned mid-way (%s) is the client’s 400, not a logged 500', async (_name, request) => {
    const from = rt.logLines.length;
    await abandon(request(new URL(rt.url!).host));
    const lines = () => rt.logLines.slice(from).map((l) => JSON.parse(l) as { level: number; msg: string; status?: number });
    await waitUntil(async () => lines().some((l) => l.msg === 'request'), 10_000, 'the access log line');
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
    expect(lines().find((l) => l.msg === 'request')?.status).toBe(400);
  });
});
