-- Rehearse: every live customer with its identities ("kind:value", sorted); the diff matches customers of
-- the scratch schema and of reality by shared identities, never by id.
SELECT c.id, c.email, c.name, c.lifecycle, c.support,
       COALESCE(array_agg(i.kind || ':' || i.value ORDER BY i.kind, i.value) FILTER (WHERE i.kind IS NOT NULL), '{}') AS identities
FROM customers c
LEFT JOIN identities i ON i.customer_id = c.id
WHERE c.merged_into IS NULL
GROUP BY c.id
ORDER BY c.id
