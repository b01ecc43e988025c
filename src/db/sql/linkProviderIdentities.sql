-- Links the ids a provider returned (a HubSpot contact id) to the customer, following merges that
-- committed while the provider call was in flight, so the id lands on the live record.
-- An id already linked keeps its owner.
WITH RECURSIVE chain AS (
  SELECT id, merged_into, 0 AS hops FROM customers WHERE id = $3
  UNION ALL
  SELECT c.id, c.merged_into, chain.hops + 1 FROM chain JOIN customers c ON c.id = chain.merged_into WHERE chain.hops < 16
), live AS (
  SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1
)
INSERT INTO identities (kind, value, customer_id)
SELECT t.kind, t.value, live.id FROM unnest($1::text[], $2::text[]) AS t(kind, value), live
ON CONFLICT (kind, value) DO NOTHING
