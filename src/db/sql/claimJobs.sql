-- Claims due jobs and jobs whose lease expired (their worker died). The claiming transaction commits
-- before any provider call; the lease, renewed by the worker's heartbeat, protects the job while it runs.
-- An expired job that already used all its attempts is dead-lettered instead of claimed: a job that
-- kills its worker every time must not be retried forever.
WITH exhausted AS (
  UPDATE jobs
  SET status = 'dead', locked_by = NULL, locked_until = NULL, updated_at = now(), finished_at = now(),
      last_error = 'gave up after ' || attempts || ' attempts: the worker stopped while running it (lease expired)'
  WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts
)
UPDATE jobs
SET status = 'running', locked_by = $1, locked_until = now() + ($2::integer * interval '1 millisecond'),
    attempts = attempts + 1, updated_at = now()
WHERE id IN (
  SELECT id FROM jobs
  WHERE (status = 'pending' AND run_at <= now())
     OR (status = 'running' AND locked_until < now() AND attempts < max_attempts)
  ORDER BY run_at, id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
RETURNING id, connector, kind, idempotency_key, customer_id, payload, attempts, max_attempts, created_at
