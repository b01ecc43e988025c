-- Graceful shutdown: hand unfinished jobs back at once instead of waiting for the lease to expire.
UPDATE jobs
SET status = 'pending', locked_by = NULL, locked_until = NULL, attempts = GREATEST(attempts - 1, 0), updated_at = now()
WHERE locked_by = $1 AND status = 'running' AND id = ANY($2::bigint[])
