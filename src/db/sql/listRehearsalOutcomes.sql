-- Rehearse: what the pipeline decided for each event received since $1 (up to inbox id $2).
SELECT source, event_id, type, outcome, outcome_reason
FROM inbox_events
WHERE received_at >= $1::timestamptz AND id <= $2
ORDER BY id
