import { randomBytes } from 'node:crypto';
import type { ConnectorName } from '../connectors/types.js';
import {
  startHubspotEmulator,
  startResendEmulator,
  startSlackEmulator,
  startWebhookReceiver,
  startZendeskEmulator,
  type EmulatorServer,
  type HubspotEmulator,
  type ResendEmulator,
  type SlackEmulator,
  type WebhookReceiver,
  type ZendeskEmulator,
} from './emulators/index.js';
import { INSPECT_PATH } from './emulators/server.js';

/**
 * Sandbox mode: the provider emulators stand in for every connector that has NO real configuration, so a
 * newcomer sees the whole flow (contact, ticket, alerts, emails, signed webhooks) without any account.
 * Invariants: never in production (the caller refuses), and never in place of a configured connector —
 * a connector counts as configured when ANY of its variables is set (a partial set is a config error).
 * Everything listens on 127.0.0.1 only; credentials are generated per run.
 */

const VARIABLES: Readonly<Record<ConnectorName, readonly string[]>> = {
  hubspot: ['HUBSPOT_ACCESS_TOKEN'],
  slack: ['SLACK_WEBHOOK_URL'],
  zendesk: ['ZENDESK_SUBDOMAIN', 'ZENDESK_BASE_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'],
  email: ['RESEND_API_KEY', 'EMAIL_FROM'],
  webhook: ['OUTBOUND_WEBHOOK_URL', 'OUTBOUND_WEBHOOK_SECRET'],
};
const LABEL: Readonly<Record<ConnectorName, string>> = { hubspot: 'HubSpot', slack: 'Slack', zendesk: 'Zendesk', email: 'Email (Resend)', webhook: 'Outbound webhook' };

const isSet = (v: string | undefined) => typeof v === 'string' && v.trim() !== '';

/** Connectors with at least one of their variables set in `env`. */
export function configuredConnectors(env: Record<string, string | undefined>): Set<ConnectorName> {
  return new Set((Object.keys(VARIABLES) as ConnectorName[]).filter((c) => VARIABLES[c].some((v) => isSet(env[v]))));
}

export interface SandboxProvider {
  connector: ConnectorName;
  label: string;
  /** Where "what would have been sent" can be read (JSON). */
  inspect: string;
}

export interface Sandbox {
  /** Variables to lay over the environment before loading the configuration. */
  env: Record<string, string>;
  providers: SandboxProvider[];
  hubspot?: HubspotEmulator;
  slack?: SlackEmulator;
  zendesk?: ZendeskEmulator;
  resend?: ResendEmulator;
  receiver?: WebhookReceiver;
  /** Once Handoff listens: Zendesk status changes in the sandbox are sent, signed, to its webhook route. */
  connect(handoffUrl: string): void;
  close(): Promise<void>;
}

/** Starts an emulator for each connector in `connectors` (default: every one not configured in `env`). */
export async function startSandbox(env: Record<string, string | undefined>, connectors?: readonly ConnectorName[]): Promise<Sandbox> {
  const configured = configuredConnectors(env);
  const wanted = new Set((connectors ?? (Object.keys(VARIABLES) as ConnectorName[])).filter((c) => !configured.has(c)));
  const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
  const started: EmulatorServer[] = [];
  const out: Sandbox = {
    env: {},
    providers: [],
    connect: () => undefined,
    close: async () => {
      await Promise.all(started.map((s) => s.close()));
    },
  };
  /** `origin` is the server's root (Slack's and the receiver's `url` include a path). */
  const add = (connector: ConnectorName, server: EmulatorServer, origin: string): void => {
    started.push(server);
    out.providers.push({ connector, label: LABEL[connector], inspect: `${origin}${INSPECT_PATH}` });
  };
  try {
    if (wanted.has('hubspot')) {
      const s = (out.hubspot = await startHubspotEmulator({ token: token('pat-sandbox-') }));
      add('hubspot', s, s.url);
      Object.assign(out.env, { HUBSPOT_ACCESS_TOKEN: s.token, HUBSPOT_BASE_URL: s.url });
    }
    if (wanted.has('slack')) {
      const s = (out.slack = await startSlackEmulator());
      add('slack', s, s.origin);
      out.env.SLACK_WEBHOOK_URL = s.url;
    }
    if (wanted.has('zendesk')) {
      const s = (out.zendesk = await startZendeskEmulator({ apiToken: token('zd-sandbox-') }));
      add('zendesk', s, s.url);
      Object.assign(out.env, { ZENDESK_BASE_URL: s.url, ZENDESK_EMAIL: s.email, ZENDESK_API_TOKEN: s.apiToken });
      // The helpdesk's webhook into Handoff, signed like Zendesk's; a real secret, if set, is kept.
      const secret = env.ZENDESK_WEBHOOK_SECRET?.trim() || (out.env.ZENDESK_WEBHOOK_SECRET = token('zdwh-'));
      out.connect = (handoffUrl) => s.configureWebhook({ url: `${handoffUrl}/api/webhooks/zendesk`, secret });
    }
    if (wanted.has('email')) {
      const s = (out.resend = await startResendEmulator({ apiKey: token('re_sandbox_') }));
      add('email', s, s.url);
      Object.assign(out.env, { RESEND_API_KEY: s.apiKey, RESEND_BASE_URL: s.url, EMAIL_FROM: 'Handoff sandbox <sandbox@example.com>' });
    }
    if (wanted.has('webhook')) {
      const s = (out.receiver = await startWebhookReceiver({ secret: `whsec_${randomBytes(24).toString('base64')}` }));
      add('webhook', s, s.origin);
      Object.assign(out.env, { OUTBOUND_WEBHOOK_URL: s.url, OUTBOUND_WEBHOOK_SECRET: s.secret });
    }
  } catch (err) {
    await out.close();
    throw err;
  }
  return out;
}
