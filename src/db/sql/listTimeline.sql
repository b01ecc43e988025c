SELECT t.id, t.at, t.kind, t.from_state, t.to_state, t.rule, t.detail,
       e.source, e.event_id, e.type AS event_type, e.outcome
FROM timeline t LEFT JOIN inbox_events e ON e.id = t.inbox_id
WHERE t.customer_id = $1
-- The newest $2 rows (the caller shows them oldest first).
ORDER BY t.at DESC, t.id DESC
LIMIT $2
