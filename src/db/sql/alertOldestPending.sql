-- Jobs not yet delivered (pending or running) that were queued more than $1 ms ago, per connector.
SELECT connector, count(*)::integer AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_seconds
FROM jobs
WHERE status IN ('pending', 'running') AND created_at < now() - ($1::integer * interval '1 millisecond')
GROUP BY connector
ORDER BY connector
