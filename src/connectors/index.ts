import type { AppConfig } from '../config/index.js';
import { createHubspotConnector } from './hubspot/index.js';
import { createSlackConnector } from './slack/index.js';
import type { Connector, ConnectorName } from './types.js';

/**
 * The connectors folder's only door.
 * A connector is present only when its configuration is complete (config/ decides "enabled").
 * Zendesk has configuration but no connector yet, so it is never in the map.
 */
export function createConnectors(config: AppConfig): Map<ConnectorName, Connector> {
  const out = new Map<ConnectorName, Connector>();
  if (config.hubspot) out.set('hubspot', createHubspotConnector(config.hubspot, config.http));
  if (config.slack) out.set('slack', createSlackConnector(config.slack, config.http));
  return out;
}

export type { Connector, ConnectorName, ConnectorResult, CustomerSnapshot, JobToRun } from './types.js';
export { providerFetch, parseRetryAfter, type ProviderFetchOptions } from './http.js';
export { createHubspotConnector, type HubspotConfig } from './hubspot/index.js';
export { createSlackConnector, type SlackConfig, type TemplateName } from './slack/index.js';
