-- Rehearse: one page of stored events in the order they were recorded ($1 after this id, $2 up to this id, $3 page size).
SELECT id, source, event_id, type, occurred_at, received_at, payload
FROM inbox_events
WHERE id > $1 AND id <= $2
ORDER BY id
LIMIT $3
