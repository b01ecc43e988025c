export { verifyStripe, STRIPE_TOLERANCE_SECONDS } from './stripe.js';
export { verifyStandardWebhook, type VerifiedMessage } from './standard-webhooks.js';
export { verifyZendesk, ZENDESK_TOLERANCE_SECONDS, type ZendeskDelivery } from './zendesk.js';
export { hashApiKey, bearerToken, displayPrefix, KEY_PREFIX, ALL_SCOPES, type Scope } from './api-key.js';
