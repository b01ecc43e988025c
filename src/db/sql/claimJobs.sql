-- Claims due jobs and jobs whose lease expired (their worker died). The claiming transaction commits
-- before any provider call; the lease, not a held transaction, protects the job while it runs.
UPDATE jobs
SET status = 'running', locked_by = $1, locked_until = now() + ($2::integer * interval '1 millisecond'),
    attempts = attempts + 1, updated_at = now()
WHERE id IN (
  SELECT id FROM jobs
  WHERE (status = 'pending' AND run_at <= now())
     OR (status = 'running' AND locked_until < now())
  ORDER BY run_at, id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
RETURNING id, connector, kind, idempotency_key, customer_id, payload, attempts, max_attempts, created_at
