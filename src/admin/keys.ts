import type { Ids } from '../clock.js';
import { sql, type Queryable } from '../db/index.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { assertStorable } from '../events/index.js';
import { ALL_SCOPES, displayPrefix, hashApiKey, KEY_PREFIX, type Scope } from '../ingest/index.js';
import { iso, isoOrNull } from './time.js';
import type { CreatedKey, KeySummary } from './types.js';

const NAME_MAX = 100;

export interface NewKeyInput {
  name: string;
  scopes: Scope[];
}

/**
 * Validates a new key's name and scopes (every problem at once, as a 400). Scopes may come as an array
 * or a comma-separated string; duplicates collapse; each must be one of ALL_SCOPES.
 */
export function parseNewKey(raw: { name?: unknown; scopes?: unknown }): NewKeyInput {
  const problems: string[] = [];
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (!name) problems.push('name is required');
  else if (name.length > NAME_MAX) problems.push(`name must be at most ${NAME_MAX} characters`);
  const list = Array.isArray(raw.scopes) ? raw.scopes : typeof raw.scopes === 'string' ? raw.scopes.split(',') : [];
  const scopes = [...new Set(list.map((s) => (typeof s === 'string' ? s.trim() : '')).filter(Boolean))];
  const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0) problems.push(`at least one scope is required: ${ALL_SCOPES.join(', ')}`);
  if (unknown.length) problems.push(`unknown scope ${unknown.map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}: valid scopes are ${ALL_SCOPES.join(', ')}`);
  if (problems.length) throw new BadRequestError(problems.join('; '), { problems });
  assertStorable(name);
  return { name, scopes: scopes as Scope[] };
}

/** Creates a key: returns it ONCE; only its SHA-256 hash and display prefix are stored. */
export async function createApiKey(db: Queryable, ids: Ids, input: NewKeyInput): Promise<CreatedKey> {
  const key = `${KEY_PREFIX}${ids.token(24)}`;
  const id = ids.uuid();
  const inserted = await db.query(sql.insertApiKey, [id, input.name, displayPrefix(key), hashApiKey(key), input.scopes]);
  // 192 random bits: a hash collision means a broken random source, never a case to handle quietly.
  if (inserted.rowCount !== 1) throw new Error('API key insert wrote no row');
  const row = (await listApiKeys(db)).find((k) => k.id === id);
  if (!row) throw new Error('created API key not found');
  return { key, apiKey: row };
}

export async function listApiKeys(db: Queryable): Promise<KeySummary[]> {
  const { rows } = await db.query<Record<string, unknown>>(sql.listApiKeys);
  return rows.map(toSummary);
}

/** Revokes by id, or by display prefix when exactly one key has it. Revoking twice is harmless. */
export async function revokeApiKey(db: Queryable, ref: string): Promise<KeySummary> {
  const r = ref.trim();
  assertStorable(r);
  if (!r) throw new BadRequestError('key id or prefix is required');
  const { rows } = await db.query<Record<string, unknown>>(sql.revokeApiKey, [r]);
  if (!rows[0]) throw new NotFoundError(`no single API key has the id or prefix ${JSON.stringify(r.slice(0, 80))}; see handoff keys list`);
  return toSummary(rows[0]);
}

function toSummary(r: Record<string, unknown>): KeySummary {
  return {
    id: String(r.id),
    name: String(r.name),
    prefix: String(r.prefix),
    scopes: (r.scopes as string[]) ?? [],
    bootstrap: r.is_bootstrap === true,
    createdAt: iso(r.created_at),
    revokedAt: isoOrNull(r.revoked_at),
  };
}
