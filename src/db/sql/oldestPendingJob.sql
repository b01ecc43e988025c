-- The pending job that has waited longest since it was queued (retries included), with its age in seconds.
SELECT id, connector, kind, attempts, created_at, run_at, last_error,
       EXTRACT(EPOCH FROM (now() - created_at))::float8 AS age_seconds
FROM jobs
WHERE status = 'pending'
ORDER BY created_at, id
LIMIT 1
