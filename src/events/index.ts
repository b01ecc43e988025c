/** events/: sender payload → DomainEvent. Pure; the folder's only door. */
export * from './types.js';
export { fromStripe, invoiceSubscriptionId } from './stripe.js';
export { fromClerk, type ClerkHeaders } from './clerk.js';
export { fromApp, AppEventSchema, APP_EVENT_TYPES, type AppEvent } from './app.js';
export { assertSaneTime, assertStorable, toStorable } from './storable.js';
