-- Jobs waiting per connector (pending: queued or backing off; due: could run now; running: claimed),
-- and the creation time of the oldest pending one. Done, skipped and dead jobs are not read.
SELECT connector,
       count(*) FILTER (WHERE status = 'pending')::integer AS pending,
       count(*) FILTER (WHERE status = 'pending' AND run_at <= now())::integer AS due,
       count(*) FILTER (WHERE status = 'running')::integer AS running,
       min(created_at) FILTER (WHERE status = 'pending') AS oldest_pending_at
FROM jobs
WHERE status IN ('pending', 'running')
GROUP BY connector
ORDER BY connector
