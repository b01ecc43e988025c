-- The current state of the customers behind a batch of jobs ($1 ids), following merges to the live
-- record, with their identities (one value per kind). One round trip per claimed batch.
WITH RECURSIVE chain AS (
  SELECT id AS asked, id, merged_into, 0 AS hops FROM customers WHERE id = ANY($1::text[])
  UNION ALL
  SELECT chain.asked, c.id, c.merged_into, chain.hops + 1
  FROM chain JOIN customers c ON c.id = chain.merged_into
  WHERE chain.hops < 16
)
SELECT chain.asked, c.id, c.email, c.name, c.lifecycle, c.support,
       COALESCE((SELECT jsonb_object_agg(i.kind, i.value) FROM identities i WHERE i.customer_id = c.id), '{}'::jsonb) AS identities
FROM chain JOIN customers c ON c.id = chain.id
WHERE chain.merged_into IS NULL
