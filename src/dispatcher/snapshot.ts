import type { CustomerSnapshot } from '../connectors/types.js';
import { sql, type Queryable } from '../db/index.js';

/**
 * The customers behind a claimed batch as they are NOW (following merges), keyed by the id each job
 * names. A missing key means the record is gone. Loaded right after the claim, so effects re-check the
 * state of the moment they run, not of the moment they were queued.
 */
export async function loadSnapshots(db: Queryable, customerIds: readonly string[]): Promise<Map<string, CustomerSnapshot>> {
  const ids = [...new Set(customerIds)];
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<CustomerSnapshot & { asked: string }>(sql.snapshotCustomers, [ids]);
  return new Map(rows.map(({ asked, ...snapshot }) => [asked, snapshot]));
}
