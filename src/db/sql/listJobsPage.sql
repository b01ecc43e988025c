-- Dashboard /jobs, any job or those done or skipped (common): newest first, one page. $1 connector, $2
-- status (each NULL: any), $3 cursor (only ids below it; NULL: from the newest), $4 limit. Each row names
-- its customer and its cause, looked up per listed row (never a join over every customer).
SELECT j.id, j.connector, j.kind, j.status, j.attempts, j.max_attempts, j.run_at, j.created_at, j.finished_at,
       j.last_error, j.result, j.customer_id, (SELECT c.email FROM customers c WHERE c.id = j.customer_id) AS email,
       e.id AS inbox_id, e.source, e.event_id, e.type AS event_type
FROM jobs j
LEFT JOIN inbox_events e ON e.id = j.inbox_id
WHERE ($1::text IS NULL OR j.connector = $1::text)
  AND ($2::text IS NULL OR j.status = $2::text)
  AND ($3::bigint IS NULL OR j.id < $3::bigint)
ORDER BY j.id DESC
LIMIT $4
