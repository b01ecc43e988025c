-- Rehearse: the outbox jobs caused by events received since $1 (up to inbox id $2), with their cause.
SELECT j.idempotency_key, j.connector, j.kind, j.customer_id, i.source, i.event_id, i.type
FROM jobs j
JOIN inbox_events i ON i.id = j.inbox_id
WHERE i.received_at >= $1::timestamptz AND i.id <= $2
ORDER BY i.id, j.id
