-- An operator replays every dead job ($1 connector, NULL: all connectors). Same rules as retryJob:
-- idempotency keys kept, attempts reset, queued again now (created_at too), one timeline row each, one
-- NOTIFY for the batch.
WITH retried AS (
  UPDATE jobs j
  SET status = 'pending', attempts = 0, run_at = now(), created_at = now(), locked_by = NULL, locked_until = NULL,
      finished_at = NULL, updated_at = now()
  FROM jobs old
  WHERE j.status = 'dead' AND ($1::text IS NULL OR j.connector = $1::text) AND old.id = j.id
  RETURNING j.id, j.connector, j.kind, j.idempotency_key, j.customer_id, j.inbox_id, j.last_error,
            old.created_at AS first_queued_at, old.attempts AS previous_attempts
), noted AS (
  INSERT INTO timeline (customer_id, inbox_id, kind, detail)
  SELECT customer_id, inbox_id, 'retry',
         jsonb_build_object('job_id', id, 'connector', connector, 'kind', kind, 'previous_error', last_error,
                            'previous_attempts', previous_attempts, 'first_queued_at', first_queued_at)
  FROM retried
)
SELECT r.id, r.connector, r.kind, r.idempotency_key,
       (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') WHERE EXISTS (SELECT 1 FROM retried)) AS woke)::integer AS notified
FROM retried r
ORDER BY r.id
