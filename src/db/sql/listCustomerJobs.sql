SELECT j.id, j.connector, j.kind, j.status, j.attempts, j.last_error, j.result, j.created_at, j.finished_at,
       e.source, e.event_id
FROM jobs j LEFT JOIN inbox_events e ON e.id = j.inbox_id
WHERE j.customer_id = $1
-- The newest $2 jobs (the caller shows them oldest first).
ORDER BY j.created_at DESC, j.id DESC
LIMIT $2
