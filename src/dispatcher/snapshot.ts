import type { CustomerSnapshot } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';
import { getLiveCustomer } from '../pipeline/index.js';

/** The customer as it is NOW, following merges; undefined if the record is gone. */
export async function loadSnapshot(db: Queryable, customerId: string): Promise<CustomerSnapshot | undefined> {
  const c = await getLiveCustomer(db, customerId);
  if (!c) return undefined;
  const { rows } = await db.query<{ kind: string; value: string }>(sql.listIdentities, [c.id]);
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    lifecycle: c.lifecycle,
    support: c.support,
    identities: Object.fromEntries(rows.map((r) => [r.kind, r.value])),
  };
}
