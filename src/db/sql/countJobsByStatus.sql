SELECT status, count(*)::integer AS n, min(run_at) FILTER (WHERE status = 'pending') AS oldest_pending
FROM jobs
GROUP BY status
