-- Monitored URLs ($1) whose last $2 or more probes failed in a row.
SELECT url, consecutive_failures, last_result, last_checked_at
FROM uptime_checks
WHERE url = ANY($1::text[]) AND consecutive_failures >= $2::integer
ORDER BY url
