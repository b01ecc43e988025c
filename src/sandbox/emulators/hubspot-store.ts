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
export const propertyExists = (name: string) => errorBody(`Property named '${name}' already exists.`, 'OBJECT_ALREADY_EXISTS');
/** GET of an unknown property definition (wording unverified; the 404 status is what clients rely on). */
export const propertyNotFound = (name: string) => errorBody(`Unable to find property with name '${name}'`, 'OBJECT_NOT_FOUND');
/** HubSpot's answer when the token lacks a scope (body as seen in HubSpot's community threads). */
export const missingScopes = (scopes: string[]) =>
  errorBody('This app hasn\'t been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.', 'MISSING_SCOPES', {
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: scopes } }],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
  });
export const conflict = (id: string) => errorBody(`Contact already exists. Existing ID: ${id}`, 'CONFLICT');
export const validation = (message: string) => errorBody(message, 'VALIDATION_ERROR');

/** A contact property definition as HubSpot's properties API returns it (the fields clients read). */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
  hubspotDefined: boolean;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** Standard contact properties that always exist (plus every hs_* name). Anything else must be defined first. */
export const STANDARD_PROPS: ReadonlySet<string> = new Set([
  'email',
  'firstname',
  'lastname',
  'lifecyclestage',
  'phone',
  'mobilephone',
  'company',
  'website',
  'jobtitle',
  'address',
  'city',
  'state',
  'zip',
  'country',
  'createdate',
  'lastmodifieddate',
]);
export const isStandardProperty = (name: string) => STANDARD_PROPS.has(name) || name.startsWith('hs_');

export class ContactStore {
  readonly contacts = new Map<string, StoredContact>();
  /** Custom (non-standard) property definitions, by name. */
  readonly properties = new Map<string, PropertyDefinition>();
  private nextId = 501;

  constructor(private readonly backwardStage: BackwardStageRule) {}

  /** Define a custom property; 409 OBJECT_ALREADY_EXISTS when the name is taken (standard names included). */
  defineProperty(input: Record<string, unknown>): { property: PropertyDefinition } | { status: 400 | 409; error: object } {
    const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
    const name = str('name');
    const lacking = ['name', 'label', 'type', 'fieldType', 'groupName'].filter((k) => !str(k));
    if (lacking.length) return { status: 400, error: validation(`Missing required fields: ${lacking.join(', ')}`) };
    if (isStandardProperty(name) || this.properties.has(name)) return { status: 409, error: propertyExists(name) };
    const options = Array.isArray(input.options) ? (input.options as Array<Record<string, unknown>>) : [];
    const now = new Date().toISOString();
    const property: PropertyDefinition = {
      name,
      label: str('label'),
      type: str('type'),
      fieldType: str('fieldType'),
      groupName: str('groupName'),
      description: str('description'),
      options: options.map((o, i) => ({
        label: String(o.label ?? o.value ?? ''),
        value: String(o.value ?? ''),
        displayOrder: typeof o.displayOrder === 'number' ? o.displayOrder : i,
        hidden: o.hidden === true,
      })),
      hubspotDefined: false,
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
    this.properties.set(name, property);
    return { property };
  }

  /** A definition by name: custom ones as stored, standard ones synthesised (lifecyclestage with its stages). */
  property(name: string): PropertyDefinition | undefined {
    const custom = this.properties.get(name);
    if (custom || !isStandardProperty(name)) return custom;
    const enumeration = name === 'lifecyclestage';
    return {
      name,
      label: name,
      type: enumeration ? 'enumeration' : 'string',
      fieldType: enumeration ? 'radio' : 'text',
      groupName: 'contactinformation',
      description: '',
      options: enumeration ? STAGES.map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false })) : [],
      hubspotDefined: true,
      createdAt: '2019-08-06T02:41:52.000Z',
      updatedAt: '2019-08-06T02:41:52.000Z',
      archived: false,
    };
  }

  /** HubSpot's 400 for a write naming properties the account does not have, or undefined. */
  private unknownProperties(props: Record<string, string>): object | undefined {
    const unknown = Object.keys(props).filter((n) => !isStandardProperty(n) && !this.properties.has(n));
    if (!unknown.length) return undefined;
    const detail = unknown.map((name) => ({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name }));
    return validation(`Property values were not valid: ${JSON.stringify(detail)}`);
  }

  byId(id: string): StoredContact | undefined {
    for (const c of this.contacts.values()) if (c.id === id) return c;
    return undefined;
  }

  byEmail(email: string): StoredContact | undefined {
    return this.contacts.get(email.trim().toLowerCase());
  }

  /**
   * Create; `{error}` holds the HubSpot-style problem (validation or conflict) instead.
   * `anyProperty` skips the "property does not exist" check (test seeding only).
   */
  create(input: Record<string, unknown>, anyProperty = false): { contact: StoredContact } | { status: 400 | 409; error: object } {
    const props = stringify(input);
    const email = props.email?.trim().toLowerCase();
    if (!email) return { status: 400, error: validation('this emulator keys contacts by email: properties.email is required') };
    const unknown = anyProperty ? undefined : this.unknownProperties(props);
    if (unknown) return { status: 400, error: unknown };
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
    const unknown = this.unknownProperties(props);
    if (unknown) return { status: 400, error: unknown };
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
