-- Step 2b of record(): row-locks the owning customers (in id order, so lockers never deadlock) and
-- returns their latest committed state. Two events that name one customer by different identities
-- serialise here, so neither decides from a state the other is changing. NO KEY UPDATE: writers still
-- serialise, but foreign-key checks on the customer (a dispatcher linking a CRM id) are not blocked. A row that comes back with
-- merged_into set was merged while we waited: the caller resolves again.
SELECT id, email, name, lifecycle, support, merged_into, created_at
FROM customers
WHERE id = ANY($1::text[])
ORDER BY id
FOR NO KEY UPDATE
