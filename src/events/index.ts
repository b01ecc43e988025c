/** events/: sender payload → DomainEvent. Pure; the folder's only door. */
export * from './types.js';
export { fromStripe, invoiceSubscriptionId } from './stripe.js';
export { fromClerk, type ClerkHeaders } from './clerk.js';
export { fromApp, appEscalationId, AppEventSchema, APP_EVENT_TYPES, EmailField, type AppEvent } from './app.js';
export { fromZendesk, ZENDESK_STATUS_CHANGED, ZENDESK_TRIGGER_TYPE, type TicketStatus } from './zendesk.js';
export { assertSaneTime, assertStorable, toStorable } from './storable.js';
