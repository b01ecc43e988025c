import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { alertMessages, evaluations, FAST_ALERTS, getAlerts, waitForAlert } from './support.js';

/** The founder's app as a local HTTP server that can be made to fail and recover. */
async function startApp(): Promise<{ url: string; healthy: boolean; failNext: number; hits: number[]; close(): Promise<void> }> {
  /** `failNext` requests answer 503 whatever `healthy` says. */
  const state = { healthy: false, failNext: 0, hits: [] as number[] };
  const server: Server = createServer((_req, res) => {
    const failing = state.failNext > 0;
    if (failing) state.failNext--;
    const status = state.healthy && !failing ? 200 : 503;
    state.hits.push(status);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}

describe.each(DB_KINDS)('uptime alert on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let slack: SlackEmulator;
  let site: Awaited<ReturnType<typeof startApp>>;
  let rt: TestApp | undefined;

  beforeEach(async () => {
    slack = await startSlackEmulator();
    site = await startApp();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    await Promise.all([slack.close(), site.close()]);
  });

  it('opens after UPTIME_FAILURES failed probes in a row, once, and resolves on the first good probe', async () => {
    const monitored = `${site.url}/checkout?token=probe-secret-42`;
    rt = await startTestApp(t, {
      worker: true,
      env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS, UPTIME_URLS: monitored, UPTIME_INTERVAL_MS: '100', UPTIME_FAILURES: '3' },
    });
    const title = `${site.url}/checkout is down`;
    const opened = await waitForAlert(slack, title, { opened: 1, resolved: 0 });
    // Never before the third failed probe; the URL's query (a token) never reaches the message.
    expect(site.hits.length).toBeGreaterThanOrEqual(3);
    expect(site.hits.every((s) => s === 503)).toBe(true);
    expect(opened.opened[0]).toMatch(new RegExp(`^:rotating_light: ${title.replace(/[.?]/g, '\\$&')}: \\d+ failed checks in a row; last: HTTP 503$`));
    expect(JSON.stringify(slack.requests)).not.toContain('probe-secret-42');
    await evaluations(rt, 3);
    expect(alertMessages(slack, title).opened).toHaveLength(1);
    expect((await getAlerts(rt)).open).toMatchObject([{ rule: 'uptime', subject: monitored }]);

    site.healthy = true;
    await waitForAlert(slack, title, { opened: 1, resolved: 1 });
    await evaluations(rt, 3);
    expect(alertMessages(slack, title)).toMatchObject({ opened: [expect.any(String)], resolved: [expect.any(String)] });
  });

  it('a URL that fails fewer than UPTIME_FAILURES times in a row never alerts, and a refused connection counts as a failure', async () => {
    site.healthy = true;
    const closed = await startApp();
    await closed.close(); // nothing listens on this port any more
    rt = await startTestApp(t, {
      worker: true,
      env: { SLACK_WEBHOOK_URL: slack.url, ...FAST_ALERTS, UPTIME_URLS: `${site.url}/,${closed.url}/`, UPTIME_INTERVAL_MS: '100', UPTIME_FAILURES: '3' },
    });
    await waitForAlert(slack, `${closed.url}/ is down`, { opened: 1, resolved: 0 });
    expect(alertMessages(slack, `${closed.url}/ is down`).opened[0]).toContain('last: network error');
    // Flaky: exactly two failed probes, then it answers again; the count starts over and never reaches three.
    const before = site.hits.length;
    site.failNext = 2;
    await waitUntil(async () => site.hits.length >= before + 6, 10_000, 'six more probes');
    expect(site.hits.slice(before).filter((s) => s === 503)).toHaveLength(2);
    await evaluations(rt, 3);
    expect(alertMessages(slack, `${site.url}/ is down`).opened).toEqual([]);
  });
});
