-- Rehearse: every live customer known from events up to inbox id $1, with its identities ("kind:value",
-- sorted). The diff matches customers of the scratch schema and of reality by shared identities, never by
-- id; a customer first seen in an event recorded after the rehearsal started is not compared.
SELECT c.id, c.email, c.name, c.lifecycle, c.support,
       COALESCE(array_agg(i.kind || ':' || i.value ORDER BY i.kind, i.value) FILTER (WHERE i.kind IS NOT NULL), '{}') AS identities
FROM customers c
LEFT JOIN identities i ON i.customer_id = c.id
WHERE c.merged_into IS NULL
  AND EXISTS (SELECT 1 FROM inbox_events e WHERE e.customer_id = c.id AND e.id <= $1)
GROUP BY c.id
ORDER BY c.id
