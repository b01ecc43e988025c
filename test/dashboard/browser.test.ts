/**
 * End to end: the real pages in headless Chromium (Debian's package, driven by playwright-core; no browser
 * download), against a real Handoff listening on loopback with provider emulators. JavaScript is OFF in
 * the browser: every step works with plain links and forms. Screenshots go to test-results/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, startZendeskEmulator, type SlackEmulator, type ZendeskEmulator } from '../emulators/index.js';
import { act, actionBody } from '../chatbot/support.js';
import { ADMIN_TOKEN, appEventRequest, startTestApp, stripeRequest, type TestApp } from '../support/app.js';
import { DB_KINDS, useTestDb } from '../support/db.js';
import { repoRoot, stripeEvent } from '../support/stripe-fixtures.js';
import { jobs, settled, waitUntil } from '../support/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(repoRoot, 'test-results', 'screenshots');

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run scripts/setup-browser.sh (installs Debian's chromium package), then run the tests again`);
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // launch() gives every run a fresh temporary profile (its own --user-data-dir).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.each(DB_KINDS)('dashboard in Chromium on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });
  let rt: TestApp;
  let slack: SlackEmulator;
  let zendesk: ZendeskEmulator;
  let page: Page;

  beforeEach(async () => {
    slack = await startSlackEmulator();
    zendesk = await startZendeskEmulator();
    rt = await startTestApp(t, {
      web: true,
      worker: true,
      env: { SLACK_WEBHOOK_URL: slack.url, ZENDESK_BASE_URL: zendesk.url, ZENDESK_EMAIL: zendesk.email, ZENDESK_API_TOKEN: zendesk.apiToken, CHATBOT_CONFIDENCE_THRESHOLD: '0.7' },
    });
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await page?.context().close();
    await rt?.close();
    await slack?.close();
    await zendesk?.close();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${kind}-${name}.png`), fullPage: true });
  const url = (p: string) => `${rt.url}${p}`;

  /** Jane signs up, starts a trial, pays through Stripe; a refund's Slack alert is refused once (→ dead). */
  async function seed() {
    await rt.app.request('/api/events', appEventRequest({ id: 'e2e-1', type: 'user.signed_up', customer: { email: 'jane@example.com', user_id: 'u_jane', name: 'Jane Doe' } }));
    await rt.app.request('/api/events', appEventRequest({ id: 'e2e-2', type: 'trial.started', customer: { email: 'jane@example.com' } }));
    slack.faults.push({ status: 400 });
    await rt.app.request(
      '/api/webhooks/stripe',
      stripeRequest(stripeEvent('charge.refunded', 'charge', { customer: 'cus_JaneE2E', billing_details: { email: 'jane@example.com' }, amount_refunded: 1500 })),
    );
    const all = await settled(t.db);
    const dead = all.find((j) => j.connector === 'slack' && j.status === 'dead');
    expect(dead, JSON.stringify(all)).toBeDefined();
    return dead!;
  }

  async function logIn() {
    await page.goto(url('/customers'));
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Admin token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Log in' }).click();
    expect((await page.getByRole('alert').innerText()).trim()).toBe('That is not the admin token.');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Back where the browser was going before the login.
    expect(new URL(page.url()).pathname).toBe('/customers');
  }

  it('login, find a customer, read the timeline, retry a dead job, approve a review item, log out', async () => {
    const dead = await seed();
    await page.goto(url('/login'));
    await shot('login');
    await logIn();

    // Today at a glance.
    await page.getByRole('link', { name: 'Today' }).click();
    expect((await page.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('Today');
    await page.getByRole('link', { name: '1 dead letter' }).waitFor({ state: 'visible' });
    await shot('home');

    // Find Jane and read her timeline.
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    await page.getByLabel(/^Email/).fill('JANE');
    await page.getByRole('button', { name: 'Search' }).click();
    await shot('customers');
    await page.getByRole('link', { name: 'jane@example.com' }).click();
    expect((await page.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('jane@example.com');
    const timeline = page.locator('ol.timeline');
    expect(await timeline.innerText()).toContain('app user.signed_up');
    expect(await timeline.innerText()).toContain('lead → trial (rule trial_started)');
    expect(await timeline.innerText()).toContain('stripe charge.refunded');
    expect(await timeline.innerText()).toContain(`job #${dead.id} slack notify dead`);
    expect(await page.getByRole('link', { name: /cus_JaneE2E/ }).getAttribute('href')).toBe('https://dashboard.stripe.com/test/customers/cus_JaneE2E');
    await shot('customer');

    // The dead Slack alert: the provider recovered; retry it from /jobs and see it arrive.
    slack.faults.clear();
    expect(slack.messages).toHaveLength(0);
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Status').selectOption('dead');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.locator(`#job-${dead.id}`).innerText()).toContain('error: permanent');
    await shot('jobs-dead');
    await page.locator(`#job-${dead.id}`).getByRole('button', { name: 'Retry' }).click();
    expect(await page.getByRole('status').innerText()).toMatch(/1 dead job queued again/);
    await waitUntil(async () => slack.messages.length === 1, 20_000, 'the retried Slack message');
    expect(slack.messages[0]!.text).toContain('jane@example.com');
    await waitUntil(async () => (await jobs(t.db)).find((j) => j.id === dead.id)?.status === 'done', 20_000, 'the job to be done');
    await page.goto(url('/jobs?connector=slack'));
    expect(await page.locator(`#job-${dead.id}`).innerText()).toContain('done');
    await shot('jobs');

    // Events inbox and one payload.
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByLabel('Source').selectOption('stripe');
    await page.getByRole('button', { name: 'Filter' }).click();
    await shot('events');
    await page.locator('table').last().getByRole('link').last().click();
    expect(await page.locator('pre').innerText()).toContain('"charge.refunded"');
    await shot('event');

    // A chatbot action held for review; approving it opens the Zendesk ticket.
    const held = await act(rt, actionBody({ conversation_id: 'conv-e2e', customer: { email: 'jane@example.com' }, confidence: 0.3 }));
    expect(held.body.decision).toBe('needs_review');
    await page.getByRole('link', { name: 'Review' }).click();
    expect(await page.locator('table').innerText()).toContain('The export button throws an error');
    await shot('review');
    await page.getByRole('button', { name: 'Approve' }).click();
    expect((await page.getByRole('status').innerText()).trim()).toBe('Approved: the action runs now.');
    // The chatbot's escalation id is per customer: chatbot:<hash>:<conversation>.
    const ticket = await waitUntil(async () => [...zendesk.tickets.values()].find((t) => /^chatbot:[0-9a-f]{12}:conv-e2e$/.test(t.external_id ?? '')), 20_000, 'the Zendesk ticket');
    // The ticket exists at Zendesk as soon as the call returns; its link to the customer is written with the
    // job's completion a moment later (completions are batched).
    await waitUntil(async () => (await t.db.query(`SELECT 1 FROM identities WHERE kind = 'zendesk_ticket' AND value = $1`, [String(ticket.id)])).rows.length === 1, 20_000, 'the ticket link');
    await page.goto(url('/customers/jane@example.com'));
    const ticketRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Ticket', exact: true }) });
    expect(await ticketRow.getByRole('link').getAttribute('href')).toBe(`${zendesk.url}/agent/tickets/${ticket.id}`);
    await shot('customer-after');

    await page.getByRole('link', { name: 'Alerts' }).click();
    expect((await page.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('Alerts');
    await shot('alerts');

    // Logout ends the session: the pages send the browser to /login again.
    await page.getByRole('button', { name: 'Log out' }).click();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(url('/jobs'));
    expect(new URL(page.url()).pathname).toBe('/login');
  });
});
