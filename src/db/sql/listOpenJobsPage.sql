-- Dashboard /jobs, jobs waiting, running or dead ($2, required): newest first, one page. These are few; the
-- constant IN lets the planner see that from the statistics whatever $2 is, so it reads jobs_open_status rather
-- than walking the whole history backwards. $1 connector (NULL: any), $3 cursor (NULL: from the newest), $4 limit.
SELECT j.id, j.connector, j.kind, j.status, j.attempts, j.max_attempts, j.run_at, j.created_at, j.finished_at,
       j.last_error, j.result, j.customer_id, (SELECT c.email FROM customers c WHERE c.id = j.customer_id) AS email,
       e.id AS inbox_id, e.source, e.event_id, e.type AS event_type
FROM jobs j
LEFT JOIN inbox_events e ON e.id = j.inbox_id
WHERE j.status IN ('pending', 'running', 'dead') AND j.status = $2::text
  AND ($1::text IS NULL OR j.connector = $1::text)
  AND ($3::bigint IS NULL OR j.id < $3::bigint)
ORDER BY j.id DESC
LIMIT $4
