import type { LifecycleState } from '../../config/index.js';
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
 * The ONE property the chatbot can write (job kind `update_note`, from update_contact_note): free text,
 * created by the connector on first use. It is not part of customPropertyDefinitions, so contact upserts
 * never create or need it.
 */
export const NOTE_PROPERTY = 'handoff_chatbot_note';
export const NOTE_PROPERTY_DEFINITION = {
  name: NOTE_PROPERTY,
  label: 'Handoff chatbot note',
  type: 'string',
  fieldType: 'textarea',
  groupName: 'contactinformation',
  description: 'The latest note the support chatbot left through Handoff (update_contact_note)',
} as const;

/** Every value we write, in display order; `satisfies` makes a new state a compile error here. */
const LIFECYCLE_VALUES = { lead: 0, trial: 1, paid: 2, past_due: 3, churned: 4 } as const satisfies Record<LifecycleState, number>;
const SUPPORT_VALUES = { none: 0, needs_support: 1 } as const satisfies Record<CustomerSnapshot['support'], number>;

/** The body of `POST /crm/v3/properties/contacts` for one of our custom properties. */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'enumeration';
  fieldType: 'select';
  groupName: 'contactinformation';
  options: Array<{ label: string; value: string; displayOrder: number }>;
}

/**
 * The custom contact properties Handoff writes: the lifecycle one (configurable name) and
 * handoff_support. Dropdowns, so a typo in a workflow filter is impossible and values stay ours.
 */
export function customPropertyDefinitions(stateProperty: string): PropertyDefinition[] {
  const define = (name: string, label: string, values: Record<string, number>): PropertyDefinition => ({
    name,
    label,
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'contactinformation',
    options: Object.entries(values).map(([value, displayOrder]) => ({ label: optionLabel(value), value, displayOrder })),
  });
  return [define(stateProperty, 'Handoff lifecycle', LIFECYCLE_VALUES), define(SUPPORT_PROPERTY, 'Handoff support', SUPPORT_VALUES)];
}

/** "past_due" → "Past due". */
function optionLabel(value: string): string {
  const words = value.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

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
