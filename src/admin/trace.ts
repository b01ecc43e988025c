import { sql, type Queryable } from '../db/index.js';
import { NotFoundError } from '../errors.js';
import { assertStorable } from '../events/index.js';
import { customerView } from '../pipeline/customer-view.js';
import { getLiveCustomer } from '../pipeline/index.js';

/** The JSON the admin API returns for GET /api/customers/:ref (dates as ISO strings). */
export type CustomerTrace = ReturnType<typeof toJson>;
const toJson = (v: Awaited<ReturnType<typeof customerView>>) => JSON.parse(JSON.stringify(v)) as JsonView<typeof v>;
type JsonView<T> = T extends Date ? string : T extends Array<infer U> ? JsonView<U>[] : T extends object ? { [K in keyof T]: JsonView<T[K]> } : T;

/**
 * One customer's identities, state and timeline by Handoff id, email or any linked id (cus_…, user_…);
 * the same view GET /api/customers/:ref answers with. Throws NotFoundError.
 */
export async function traceCustomer(db: Queryable, ref: string): Promise<CustomerTrace> {
  const r = ref.trim();
  assertStorable(r);
  const { rows } = await db.query<{ id: string }>(sql.findCustomerRef, [r]);
  const customer = rows[0] && (await getLiveCustomer(db, rows[0].id));
  if (!customer) throw new NotFoundError(`no customer matches ${JSON.stringify(r.slice(0, 200))}`);
  return toJson(await customerView(db, customer));
}
