import { createHandoff } from 'handoff';

/**
 * One Handoff per process, configured from the environment at the first request (DATABASE_URL,
 * STRIPE_WEBHOOK_SECRET, HANDOFF_ADMIN_TOKEN, HANDOFF_API_KEY, connector variables: see README).
 * Importing this file opens nothing, so `next build` needs no database.
 */
export const handoff = createHandoff();
