-- Operator view of the outbox, newest first. $1 status filter (NULL: any; 'stuck': running with an
-- expired lease), $2 connector (NULL: any), $3 limit. Each row names its customer and its cause.
SELECT j.id, j.connector, j.kind, j.idempotency_key, j.status, j.attempts, j.max_attempts,
       j.customer_id, c.email, j.run_at, j.locked_until, j.created_at, j.updated_at, j.finished_at,
       j.last_error, j.result, e.source, e.event_id, e.type AS event_type,
       (j.status = 'running' AND j.locked_until < now()) AS stuck
FROM jobs j
LEFT JOIN customers c ON c.id = j.customer_id
LEFT JOIN inbox_events e ON e.id = j.inbox_id
WHERE ($1::text IS NULL OR j.status = $1::text OR ($1::text = 'stuck' AND j.status = 'running' AND j.locked_until < now()))
  AND ($2::text IS NULL OR j.connector = $2::text)
ORDER BY j.id DESC
LIMIT $3
