-- Resolves an open incident; nothing is returned if it was resolved already.
UPDATE alert_incidents SET resolved_at = now() WHERE id = $1::bigint AND resolved_at IS NULL
RETURNING id, opened_at, resolved_at
