/**
 * Provider emulators: real HTTP servers on 127.0.0.1 (random port), no mocked fetch.
 * Every emulator has `url`, `requests` (everything received, faulted ones tagged), `faults`
 * (see faults.ts) and `close()` (also ends held and keep-alive connections).
 */
export { FaultQueue, type Fault, type FaultMatch } from './faults.js';
export type { EmulatorServer, RecordedRequest } from './server.js';
export { startHubspotEmulator, HUBSPOT_TEST_TOKEN, type HubspotEmulator, type HubspotEmulatorOptions } from './hubspot.js';
export type { StoredContact, BackwardStageRule } from './hubspot-store.js';
export { startSlackEmulator, SLACK_WEBHOOK_PATH, type SlackEmulator, type SlackMessageRecord } from './slack.js';
