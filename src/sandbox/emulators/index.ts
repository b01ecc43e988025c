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
export { startLlmEmulator, type LlmEmulator, type LlmEmulatorOptions, type LlmAnswer, type LlmRule } from './llm.js';
export { startResendEmulator, RESEND_TEST_KEY, type ResendEmulator, type SentEmail } from './resend.js';
export {
  startWebhookReceiver,
  OUTBOUND_TEST_SECRET,
  WEBHOOK_RECEIVER_PATH,
  type WebhookReceiver,
  type ReceivedMessage,
} from './webhook-receiver.js';
export {
  startZendeskEmulator,
  signZendeskWebhook,
  zendeskStatusChanged,
  ZENDESK_TEST_EMAIL,
  ZENDESK_TEST_TOKEN,
  type ZendeskEmulator,
  type ZendeskEmulatorOptions,
  type ZendeskEvent,
  type WebhookDelivery,
} from './zendesk.js';
export type { StoredTicket, StoredComment, ZendeskStatus } from './zendesk-store.js';
export { startStripeEmulator, STRIPE_TEST_KEY, STRIPE_RESTRICTED_TEST_KEY, type StripeEmulator, type StripeEmulatorOptions, type StripeObject } from './stripe.js';
