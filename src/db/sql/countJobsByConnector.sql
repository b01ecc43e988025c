-- Dashboard /jobs: per connector, jobs waiting, running and dead (all of them: jobs_open_status), and jobs done
-- or skipped since $1 (the delivered history grows forever; jobs_finished reads only the recent part).
SELECT connector, status, count(*)::integer AS n
FROM jobs
WHERE status IN ('pending', 'running', 'dead')
GROUP BY connector, status
UNION ALL
SELECT connector, status, count(*)::integer AS n
FROM jobs
WHERE status IN ('done', 'skipped') AND finished_at >= $1
GROUP BY connector, status
