import type { CreatedKey, CustomerTrace, JobSummary, KeySummary, RetriedJob, SystemStatus } from '../../admin/index.js';
import { CliError, DataAccessError } from '../errors.js';
import type { HandoffData } from './types.js';

/** Per request; the admin API answers from one query or two. */
const TIMEOUT_MS = 15_000;

export type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * One request to a running server's admin API (Bearer HANDOFF_ADMIN_TOKEN), shared by every data command.
 * Failures say what to do: no server → DataAccessError; token refused → CliError naming HANDOFF_ADMIN_TOKEN;
 * an older server without the route → CliError "upgrade"; a 4xx → the server's own message (and `fix`).
 * The token is sent only to `baseUrl` and never printed. `timeoutMs` per request (default 15 s).
 */
export function adminClient(baseUrl: string, token: string | undefined, opts: { timeoutMs?: number } = {}): AdminCall {
  const base = baseUrl.replace(/\/+$/, '');
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (!token) {
      const probe = await probeHandoff(base);
      if (!probe.ok) throw new DataAccessError(`no Handoff server answered at ${base} (${probe.reason})`, 'start Handoff, or set HANDOFF_URL to the address of the running server');
      throw new DataAccessError(
        `a Handoff server answers at ${base}, but HANDOFF_ADMIN_TOKEN is not set`,
        'set HANDOFF_ADMIN_TOKEN to the admin token the server runs with (a development server prints its one-off token at start-up)',
      );
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
      });
    } catch (err) {
      throw new DataAccessError(`no Handoff server answered at ${base} (${networkReason(err)})`, `start Handoff, or set HANDOFF_URL to the address of the running server`, err);
    }
    const text = await res.text();
    let parsed: { error?: string; message?: string; fix?: string } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (res.ok && parsed !== undefined) return parsed as T;
    if (res.status === 401) {
      throw new CliError(`the server at ${base} refused the admin token`, {
        fix: 'set HANDOFF_ADMIN_TOKEN to the token the server runs with (a development server prints its one-off token at start-up)',
      });
    }
    if (res.status === 404 && (parsed?.message ?? '').startsWith('no route for')) {
      throw new CliError(`the server at ${base} has no such admin API (${method} ${path.split('?')[0]} → 404)`, {
        fix: 'upgrade that Handoff server, or check that HANDOFF_URL points at Handoff',
      });
    }
    if (!parsed?.message) throw new CliError(`${method} ${base}${path.split('?')[0]} → HTTP ${res.status}: not a Handoff answer`, { fix: 'check that HANDOFF_URL points at Handoff' });
    const requestId = res.headers.get('x-request-id');
    if (res.status >= 500) throw new CliError(`the server failed: ${parsed.message}${requestId ? ` (request id ${requestId})` : ''}`, { fix: parsed.fix });
    throw new CliError(parsed.message, { fix: parsed.fix });
  };
}

/** Data access through a running server's admin API; see adminClient for how failures read. */
export function apiData(baseUrl: string, token: string | undefined): HandoffData {
  const base = baseUrl.replace(/\/+$/, '');
  const call = adminClient(base, token);
  const enc = encodeURIComponent;
  return {
    via: `the admin API at ${base}`,
    status: () => call<SystemStatus>('GET', '/api/admin/status'),
    listJobs: async (f) => {
      const q = new URLSearchParams();
      if (f.status) q.set('status', f.status);
      if (f.connector) q.set('connector', f.connector);
      if (f.limit) q.set('limit', String(f.limit));
      return (await call<{ jobs: JobSummary[] }>('GET', `/api/admin/jobs?${q}`)).jobs;
    },
    retryJob: async (id) => (await call<{ job: RetriedJob }>('POST', `/api/admin/jobs/${enc(String(id))}/retry`)).job,
    retryDeadJobs: async (connector) => (await call<{ jobs: RetriedJob[] }>('POST', '/api/admin/jobs/retry-dead', connector ? { connector } : {})).jobs,
    createKey: (input) => call<CreatedKey>('POST', '/api/admin/keys', input),
    listKeys: async () => (await call<{ keys: KeySummary[] }>('GET', '/api/admin/keys')).keys,
    revokeKey: async (ref) => (await call<{ apiKey: KeySummary }>('DELETE', `/api/admin/keys/${enc(ref)}`)).apiKey,
    trace: (ref) => call<CustomerTrace>('GET', `/api/customers/${enc(ref)}`),
    close: async () => {},
  };
}

/** How long a server gets to answer GET /api/health when we only ask whether it is there. */
const PROBE_MS = 2000;

/** GET /api/health: ok only for Handoff's own answer, so another app on the port is not mistaken for it. */
export async function probeHandoff(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/health`, { redirect: 'manual', signal: AbortSignal.timeout(PROBE_MS) });
    const body = await res.text();
    if (res.status === 200 && /"status"\s*:\s*"ok"/.test(body)) return { ok: true };
    return { ok: false, reason: `GET /api/health answered ${res.status}, not Handoff` };
  } catch (err) {
    return { ok: false, reason: networkReason(err) };
  }
}

/** "connection refused", "timed out", … from a fetch failure (undici puts the code on `cause`). */
export function networkReason(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  return code ?? e?.cause?.message ?? (err instanceof Error ? err.message : String(err));
}
