import { handoff } from '../../../lib/handoff';

// Every /api/* request that no more specific route claims reaches Handoff unchanged (its routes are
// /api/webhooks/stripe, /api/events, /api/customers/:idOrEmail, /api/health, /api/ready, ...).
// The raw body is passed through untouched, so webhook signatures verify.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handoff.fetch;
export const POST = handoff.fetch;
export const PUT = handoff.fetch;
export const PATCH = handoff.fetch;
export const DELETE = handoff.fetch;
