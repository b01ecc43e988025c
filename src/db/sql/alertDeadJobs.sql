-- Dead-lettered jobs per connector, with the most recent one's error.
SELECT connector, count(*)::integer AS n,
       (array_agg(last_error ORDER BY finished_at DESC NULLS LAST, id DESC))[1] AS last_error
FROM jobs
WHERE status = 'dead'
GROUP BY connector
ORDER BY connector
