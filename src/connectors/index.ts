import type { AppConfig } from '../config/index.js';
import { createEmailConnector } from './email/index.js';
import { createHubspotConnector } from './hubspot/index.js';
import { createSlackConnector } from './slack/index.js';
import type { Connector, ConnectorName } from './types.js';
import { createWebhookConnector } from './webhook/index.js';
import { createZendeskConnector } from './zendesk/index.js';

/**
 * The connectors folder's only door.
 * A connector is present only when its configuration is complete (config/ decides "enabled").
 */
export function createConnectors(config: AppConfig): Map<ConnectorName, Connector> {
  const out = new Map<ConnectorName, Connector>();
  if (config.hubspot) out.set('hubspot', createHubspotConnector(config.hubspot, config.http));
  if (config.slack) out.set('slack', createSlackConnector(config.slack, config.http));
  if (config.zendesk) out.set('zendesk', createZendeskConnector(config.zendesk, config.http));
  // Loads and checks the email templates now: a broken template folder fails start-up (ConfigError).
  if (config.email) out.set('email', createEmailConnector(config.email, config.http));
  if (config.outbound) out.set('webhook', createWebhookConnector(config.outbound, config.http));
  return out;
}

export type { Connector, ConnectorName, ConnectorResult, CustomerSnapshot, JobToRun } from './types.js';
export { providerFetch, parseRetryAfter, type ProviderFetchOptions } from './http.js';
export { createHubspotConnector, type HubspotConfig } from './hubspot/index.js';
export { createSlackConnector, type SlackConfig, type TemplateName } from './slack/index.js';
export { createZendeskConnector, type ZendeskConfig } from './zendesk/index.js';
export { createEmailConnector, type EmailConfig } from './email/index.js';
export { createWebhookConnector, type OutboundConfig, type OutboundMessage } from './webhook/index.js';
