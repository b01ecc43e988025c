-- One probe's result ($1 url, $2 ok, $3 short result: "HTTP 200", "timeout", …).
UPDATE uptime_checks
SET consecutive_failures = CASE WHEN $2::boolean THEN 0 ELSE consecutive_failures + 1 END,
    last_result = $3::text, last_checked_at = now()
WHERE url = $1::text
