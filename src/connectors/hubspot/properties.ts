import type { CustomerSnapshot } from '../types.js';

/**
 * Pure rules for what Handoff writes to a HubSpot contact. No I/O; unit-testable.
 */

/** HubSpot's default lifecycle stages, earliest first. Stages never move backwards. */
export const STAGE_ORDER: readonly string[] = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];

/** Our own (custom) property for the support dimension; the lifecycle property name is configurable. */
export const SUPPORT_PROPERTY = 'handoff_support';

/**
 * Properties pushed on every upsert, WITHOUT lifecyclestage (decided separately, see stageToSend).
 * Name: split on the first space; a one-word name sets only firstname, and a missing name sends
 * neither: an empty string would CLEAR the value in HubSpot, so we never send one.
 */
export function contactProperties(customer: CustomerSnapshot & { email: string }, stateProperty: string): Record<string, string> {
  const props: Record<string, string> = {
    email: customer.email,
    [stateProperty]: customer.lifecycle,
    [SUPPORT_PROPERTY]: customer.support,
  };
  const name = customer.name?.trim().replace(/\s+/g, ' ');
  if (name) {
    const cut = name.indexOf(' ');
    props.firstname = cut === -1 ? name : name.slice(0, cut);
    if (cut !== -1) props.lastname = name.slice(cut + 1);
  }
  return props;
}

/**
 * The lifecyclestage to send given the contact's current one, or null to leave it alone.
 * - empty/absent current → send the mapped stage;
 * - both known: send only if the mapped stage is strictly further along;
 * - either unknown (an account's custom stage, numeric id) → never overwrite a non-empty stage,
 *   because we cannot prove it is a forward move. Our own state is in the custom property anyway.
 */
export function stageToSend(current: string | null | undefined, mapped: string): string | null {
  if (!mapped) return null;
  if (!current) return mapped;
  const from = STAGE_ORDER.indexOf(current);
  const to = STAGE_ORDER.indexOf(mapped);
  if (from === -1 || to === -1) return null;
  return to > from ? mapped : null;
}

/** The id inside HubSpot's 409 body: "Contact already exists. Existing ID: 37765128953". */
export function existingIdFrom(body: unknown): string | undefined {
  const message = body && typeof body === 'object' ? (body as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return undefined;
  return /Existing ID:\s*(\d+)/i.exec(message)?.[1];
}
