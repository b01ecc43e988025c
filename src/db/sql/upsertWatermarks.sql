-- Watermarks only move forward.
INSERT INTO watermarks (object_key, created, event_id)
SELECT k, $2, $3 FROM unnest($1::text[]) AS k
ON CONFLICT (object_key) DO UPDATE
SET created = EXCLUDED.created, event_id = EXCLUDED.event_id
WHERE watermarks.created < EXCLUDED.created
