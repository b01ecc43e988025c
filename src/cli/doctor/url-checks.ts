import { PROBE_HEADER } from '../../monitor/http-metrics.js';
import { describeFailure, probe } from './http-probe.js';
import { fail, pass, type CheckResult } from './types.js';

/**
 * The deployed instance from outside: GET /api/health answers Handoff's 200, and the Stripe webhook
 * route exists and verifies — an unsigned POST must get Handoff's JSON 400 invalid_signature. A 404,
 * 405 or HTML page means the route is not deployed there (a proxy, a static host or another app answered).
 */
export async function checkUrl(base: string, opts: { ca?: string[]; timeoutMs: number }): Promise<CheckResult[]> {
  const root = base.replace(/\/+$/, '');
  return [await health(root, opts), await stripeRoute(root, opts)];
}

async function health(root: string, opts: { ca?: string[]; timeoutMs: number }): Promise<CheckResult> {
  const [id, title, url] = ['url.health', 'health endpoint', `${root}/api/health`];
  try {
    const res = await probe(url, { ...opts, headers: { accept: 'application/json' } });
    if (res.status === 200 && /"status"\s*:\s*"ok"/.test(res.body)) return pass(id, title, `GET ${url} → 200`);
    return fail(id, title, `GET ${url} → ${res.status}${isHtml(res) ? ' (an HTML page)' : ''}: not Handoff's health answer`, 'check that the URL points at Handoff and that the web role runs there (handoff start or handoff web)');
  } catch (err) {
    return fail(id, title, `GET ${url}: ${describeFailure(err)}`, 'check the URL, DNS and that Handoff\'s web role is running and reachable from here');
  }
}

async function stripeRoute(root: string, opts: { ca?: string[]; timeoutMs: number }): Promise<CheckResult> {
  const [id, title, url] = ['url.stripe', 'stripe webhook route', `${root}/api/webhooks/stripe`];
  let res;
  try {
    res = await probe(url, { ...opts, method: 'POST', headers: { 'content-type': 'application/json', [PROBE_HEADER]: 'doctor' }, body: '{}' });
  } catch (err) {
    return fail(id, title, `POST ${url}: ${describeFailure(err)}`, 'check the URL and that Handoff\'s web role is reachable from the internet (Stripe must reach it)');
  }
  const notDeployed = 'deploy Handoff\'s web role at this URL and route /api/webhooks/* to it unchanged (raw body, all headers); then register the URL in Stripe (Developers → Webhooks)';
  let body: { error?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    body = undefined;
  }
  if (res.status === 400 && body?.error === 'invalid_signature') {
    if (typeof body.message === 'string' && /not configured/.test(body.message)) {
      return fail(id, title, 'the route is deployed but the instance has no STRIPE_WEBHOOK_SECRET: it refuses every Stripe delivery', 'set STRIPE_WEBHOOK_SECRET on the instance to the endpoint\'s signing secret from Stripe');
    }
    return pass(id, title, `POST ${url} without a signature → 400 invalid_signature: deployed, and it verifies signatures`);
  }
  if (res.status >= 200 && res.status < 300) return fail(id, title, `POST ${url} without a signature → ${res.status}: an unsigned request was accepted`, 'this is not Handoff\'s webhook route, or something in front of it answers: route it to Handoff');
  if (res.status === 404 || res.status === 405 || isHtml(res) || !body) {
    return fail(id, title, `POST ${url} → ${res.status}${isHtml(res) ? ' (an HTML page)' : ''}: the webhook route is not deployed here`, notDeployed);
  }
  return fail(id, title, `POST ${url} without a signature → ${res.status} ${String(body.error ?? '')}: expected 400 invalid_signature`, res.status >= 500 ? 'the instance fails: see its log (request id in x-request-id)' : notDeployed);
}

const isHtml = (r: { contentType: string; body: string }) => /html/i.test(r.contentType) || /^\s*<(!doctype|html)/i.test(r.body);
