import type { CallMeter } from './meter.js';
import type { LifecycleState } from '../config/index.js';

/** `email` is Resend; `webhook` is the founder's signed outbound endpoint (Standard Webhooks). */
export type ConnectorName = 'hubspot' | 'slack' | 'zendesk' | 'email' | 'webhook';
export const CONNECTOR_NAMES: readonly ConnectorName[] = ['hubspot', 'slack', 'zendesk', 'email', 'webhook'];

/** The customer as it is NOW (effects re-check state when they run, not when they were queued). */
export interface CustomerSnapshot {
  id: string;
  email: string | null;
  name: string | null;
  lifecycle: LifecycleState;
  support: 'none' | 'needs_support';
  identities: Record<string, string>;
}

export interface JobToRun {
  id: number;
  connector: ConnectorName;
  kind: string;
  idempotencyKey: string;
  attempts: number;
  payload: Record<string, unknown>;
}

/** What a connector reports back. Provider ids in `identities` are linked to the customer. */
export type ConnectorResult =
  | {
      status: 'done';
      result?: Record<string, unknown>;
      identities?: Record<string, string>;
      /** One line for the customer's timeline ("Zendesk ticket #42 created"); no message bodies. */
      note?: string;
      /** Facts handed to the job's follow-ups (payload.then), e.g. `{ticket_id: 42}`. */
      facts?: Record<string, string | number | boolean | null>;
    }
  | { status: 'skipped'; reason: string };

/**
 * A side effect's adapter to one provider. `run` must be safe to call more than once for the same job
 * (at-least-once dispatch): it uses the provider's idempotency (upsert by email, Idempotency-Key, …).
 * Failures are thrown as ProviderError; the dispatcher's retry policy decides what happens next.
 */
export interface Connector {
  readonly name: ConnectorName;
  /**
   * The most requests one run sends (default 1), each added to `meter.calls` (HubSpot: an upsert takes one to five).
   * A paced connector's window is charged this many calls (at most its limit) for each job from its claim until it
   * has finished, then what the job really sent: jobs in flight together can never send more than the limit.
   * Above 1, its jobs are never claimed ahead of a free slot (DISPATCH_PREFETCH): a reservation held by a job that
   * waits for a slot is room the window cannot give to a job that could run.
   */
  readonly callsPerJob?: number;
  /**
   * `customer` is null only for jobs that belong to no customer (alert messages, queued with
   * customer_id NULL by src/monitor/alerts): only Slack `notify` and email `send` with `payload.to` get those.
   * `meter`: a connector that sends more than one request per job adds each to `meter.calls` (meter.ts).
   */
  run(job: JobToRun, customer: CustomerSnapshot | null, signal: AbortSignal, meter?: CallMeter): Promise<ConnectorResult>;
}
