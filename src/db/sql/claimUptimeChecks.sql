-- Claims the monitored URLs ($1) due for a probe by moving their next check $2 ms ahead: however many
-- processes probe, each URL is probed once per interval.
UPDATE uptime_checks SET next_check_at = now() + ($2::integer * interval '1 millisecond')
WHERE url = ANY($1::text[]) AND next_check_at <= now()
RETURNING url
