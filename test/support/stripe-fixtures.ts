/**
 * Stripe test payloads from the shared fixtures (see ../shared/fixtures/stripe/README.md):
 * - `events/*.json`: real deliveries across API versions (2020-03-02 onward), verbatim.
 * - `objects.json`: Stripe's own sample objects (current API shape), for building events of any type.
 * The shared folder is found beside the repo (`<repo>/../shared`), so a clone works at any path.
 * Every call returns a fresh deep copy: tests may mutate what they get.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const stripeFixturesDir = path.join(sharedDir, 'fixtures', 'stripe');

export type StripeObjectName = 'event' | 'customer' | 'checkout.session' | 'subscription' | 'invoice' | 'charge';
export type JsonObject = Record<string, unknown>;
export interface StripeEventJson {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  type: string;
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: JsonObject; previous_attributes?: JsonObject };
  [key: string]: unknown;
}

/** Default `created` for built events: 2026-01-01T00:00:00Z. */
export const DEFAULT_CREATED = 1_767_225_600;
/** Default API version for built events (the first with `invoice.parent`). */
export const DEFAULT_API_VERSION = '2025-03-31.basil';

/** Fixture names without `.json`, e.g. "invoice_paid". */
export function fixtureEventNames(): string[] {
  return readdirSync(path.join(stripeFixturesDir, 'events'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A real delivered event, e.g. `loadFixtureEvent('invoice_paid')` (".json" optional). */
export function loadFixtureEvent(name: string): StripeEventJson {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return JSON.parse(readFileSync(path.join(stripeFixturesDir, 'events', file), 'utf8')) as StripeEventJson;
}

let objectsCache: Record<string, JsonObject> | undefined;
/** A copy of one of Stripe's sample objects. */
export function stripeObject(name: StripeObjectName): JsonObject {
  objectsCache ??= JSON.parse(readFileSync(path.join(stripeFixturesDir, 'objects.json'), 'utf8')) as Record<string, JsonObject>;
  const o = objectsCache[name];
  if (!o) throw new Error(`objects.json has no "${name}" object`);
  return structuredClone(o);
}

let seq = 0;
/**
 * An event of `type` whose `data.object` is the sample `objectName` deep-merged with `overrides`
 * (plain objects merge, arrays and scalars replace, `undefined` deletes the key).
 * `envelope` overrides event-level fields (id, created, api_version, …) and may add `previous_attributes`.
 * Ids are `evt_test_000001`, … unique within the process; `created` defaults to DEFAULT_CREATED.
 */
export function stripeEvent(
  type: string,
  objectName: StripeObjectName,
  overrides: JsonObject = {},
  envelope: Partial<Omit<StripeEventJson, 'data'>> & { previous_attributes?: JsonObject } = {},
): StripeEventJson {
  seq += 1;
  const object = deepMerge(stripeObject(objectName), overrides);
  const { previous_attributes, ...fields } = envelope;
  return {
    id: `evt_test_${String(seq).padStart(6, '0')}`,
    object: 'event',
    api_version: DEFAULT_API_VERSION,
    created: DEFAULT_CREATED,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...fields,
    data: previous_attributes ? { object, previous_attributes } : { object },
  };
}

function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(over)) {
    const cur = base[k];
    if (v === undefined) delete base[k];
    else if (isPlain(v) && isPlain(cur)) base[k] = deepMerge(cur, v);
    else base[k] = structuredClone(v);
  }
  return base;
}

function isPlain(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
