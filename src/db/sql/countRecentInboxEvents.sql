-- Dashboard "/": events received since $1, per source and outcome (reads the inbox_events_received index).
SELECT source, outcome, count(*)::integer AS n
FROM inbox_events
WHERE received_at >= $1
GROUP BY source, outcome
ORDER BY source, outcome
