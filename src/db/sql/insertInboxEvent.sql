-- Dedupe point: a (source, event_id) already present returns no row and the caller treats it as a duplicate.
INSERT INTO inbox_events (source, event_id, type, occurred_at, payload)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (source, event_id) DO NOTHING
RETURNING id
