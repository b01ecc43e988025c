-- Dashboard /events/…: one stored event with its payload (the verified body; headers are never stored),
-- by inbox id $1, or by source $2 and the sender's event id $3.
SELECT e.id, e.source, e.event_id, e.type, e.occurred_at, e.received_at, e.outcome, e.outcome_reason,
       e.customer_id, c.email, e.payload
FROM inbox_events e
LEFT JOIN customers c ON c.id = e.customer_id
WHERE e.id = $1::bigint OR (e.source = $2::text AND e.event_id = $3::text)
LIMIT 1
