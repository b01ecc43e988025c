-- An operator replays ONE dead job ($1 = id): the same row keeps its idempotency key (the provider
-- dedupes by it), attempts restart at 0 and it is queued again now — created_at restarts too, since the
-- job's age drives JOB_MAX_AGE_HOURS, the oldest-pending alert and the doctor. Any other status changes
-- nothing (no row). The retry goes to the customer's timeline under the job's cause, with what it had
-- been (first queued, attempts, last error); NOTIFY wakes dispatchers.
WITH retried AS (
  UPDATE jobs j
  SET status = 'pending', attempts = 0, run_at = now(), created_at = now(), locked_by = NULL, locked_until = NULL,
      finished_at = NULL, updated_at = now()
  FROM jobs old
  WHERE j.id = $1 AND j.status = 'dead' AND old.id = j.id
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
       (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') FROM retried) AS woke)::integer AS notified
FROM retried r
