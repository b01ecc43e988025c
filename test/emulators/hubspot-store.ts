import { randomUUID } from 'node:crypto';

/**
 * The HubSpot emulator's contact store and its rules. Bodies follow PROVIDERS.md verbatim where it
 * gives them; the rest follow HubSpot's usual `{status, message, correlationId, category}` shape.
 */
export interface StoredContact {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** What a backward lifecyclestage write does (HubSpot v3 behaviour is unverified; both are plausible). */
export type BackwardStageRule = 'reject' | 'ignore';

export const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];
/** HubSpot returns these when a request names no properties. */
export const DEFAULT_PROPS = ['createdate', 'email', 'firstname', 'lastname', 'hs_object_id', 'lastmodifieddate'];

export const errorBody = (message: string, category?: string, extra: Record<string, unknown> = {}) => ({
  status: 'error',
  message,
  correlationId: randomUUID(),
  ...(category ? { category } : {}),
  ...extra,
});
export const notFound = () => errorBody('resource not found');
export const conflict = (id: string) => errorBody(`Contact already exists. Existing ID: ${id}`, 'CONFLICT');
export const validation = (message: string) => errorBody(message, 'VALIDATION_ERROR');

export class ContactStore {
  readonly contacts = new Map<string, StoredContact>();
  private nextId = 501;

  constructor(private readonly backwardStage: BackwardStageRule) {}

  byId(id: string): StoredContact | undefined {
    for (const c of this.contacts.values()) if (c.id === id) return c;
    return undefined;
  }

  byEmail(email: string): StoredContact | undefined {
    return this.contacts.get(email.trim().toLowerCase());
  }

  /** Create; `{error}` holds the HubSpot-style problem (validation or conflict) instead. */
  create(input: Record<string, unknown>): { contact: StoredContact } | { status: 400 | 409; error: object } {
    const props = stringify(input);
    const email = props.email?.trim().toLowerCase();
    if (!email) return { status: 400, error: validation('this emulator keys contacts by email: properties.email is required') };
    const existing = this.contacts.get(email);
    if (existing) return { status: 409, error: conflict(existing.id) };
    const bad = checkStage(undefined, props.lifecyclestage, this.backwardStage);
    if (bad) return { status: 400, error: bad };
    const now = new Date().toISOString();
    const id = String(this.nextId++);
    const contact: StoredContact = {
      id,
      createdAt: now,
      updatedAt: now,
      properties: { ...props, email, hs_object_id: id, createdate: now, lastmodifieddate: now },
    };
    this.contacts.set(email, contact);
    return { contact };
  }

  /** Update in place, all-or-nothing; a backward stage is rejected (400) or silently kept, per the rule. */
  update(contact: StoredContact, input: Record<string, unknown>): { contact: StoredContact } | { status: 400 | 409; error: object } {
    const props = stringify(input);
    const stage = props.lifecyclestage;
    if (stage !== undefined) {
      const bad = checkStage(contact.properties.lifecyclestage, stage, this.backwardStage);
      if (bad) return { status: 400, error: bad };
      if (isBackward(contact.properties.lifecyclestage, stage)) delete props.lifecyclestage; // 'ignore'
    }
    const newEmail = props.email?.trim().toLowerCase();
    if (newEmail && newEmail !== contact.properties.email) {
      const other = this.contacts.get(newEmail);
      if (other) return { status: 409, error: conflict(other.id) };
      this.contacts.delete(contact.properties.email ?? '');
      this.contacts.set(newEmail, contact);
      props.email = newEmail;
    }
    const now = new Date().toISOString();
    Object.assign(contact.properties, props, { lastmodifieddate: now });
    contact.updatedAt = now;
    return { contact };
  }
}

/** The wire shape of a contact, limited to `names` (or every property when names is undefined). */
export function toWire(c: StoredContact, names?: readonly string[]) {
  const properties: Record<string, string | null> = {};
  for (const n of names ?? Object.keys(c.properties)) {
    if (n in c.properties) properties[n] = c.properties[n] ?? null;
  }
  return { id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false };
}

function stringify(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

function isBackward(from: string | undefined, to: string): boolean {
  if (!from || !to) return false; // "" clears: HubSpot's documented way to move a stage back
  const a = STAGES.indexOf(from);
  const b = STAGES.indexOf(to);
  return a !== -1 && b !== -1 && b < a;
}

/** Unknown option → 400 INVALID_OPTION; backward move → 400 only under the 'reject' rule. Numeric ids = custom stages. */
function checkStage(from: string | undefined, to: string | undefined, rule: BackwardStageRule): object | undefined {
  if (to === undefined || to === '') return undefined;
  if (!STAGES.includes(to) && !/^\d+$/.test(to)) {
    return propertyError(`${to} was not one of the allowed options: [${STAGES.join(', ')}]`, 'INVALID_OPTION');
  }
  if (rule === 'reject' && isBackward(from, to)) {
    return propertyError(`lifecyclestage cannot move backwards from ${from} to ${to}; set it to "" first`, 'INVALID_OPTION');
  }
  return undefined;
}

function propertyError(message: string, error: string) {
  const detail = [{ isValid: false, message, error, name: 'lifecyclestage', localizedErrorMessage: message }];
  return validation(`Property values were not valid: ${JSON.stringify(detail)}`);
}
