-- The outbox per connector and status for /metrics, with the age (database clock) of the oldest job not
-- yet delivered (pending or running) in seconds.
SELECT connector, status, count(*)::integer AS n,
       CASE WHEN status IN ('pending', 'running') THEN EXTRACT(EPOCH FROM now() - min(created_at))::float8 END AS oldest_seconds
FROM jobs
GROUP BY connector, status
