-- The chatbot request's identities ($1 kinds, $2 values) that already belong to a customer, each with its
-- LIVE owner (merges followed) and that owner's creation time; unknown identities are absent.
WITH RECURSIVE chain AS (
  SELECT t.kind, t.value, i.customer_id AS id, 0 AS hops
  FROM unnest($1::text[], $2::text[]) AS t(kind, value)
  JOIN identities i ON i.kind = t.kind AND i.value = t.value
  UNION ALL
  SELECT chain.kind, chain.value, c.merged_into, chain.hops + 1
  FROM chain JOIN customers c ON c.id = chain.id
  WHERE c.merged_into IS NOT NULL AND chain.hops < 16
)
SELECT chain.kind, chain.value, c.id AS customer_id, c.created_at
FROM chain JOIN customers c ON c.id = chain.id
WHERE c.merged_into IS NULL
ORDER BY c.created_at, c.id
