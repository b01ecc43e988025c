-- Logout: the session with id hash $1 ends at $2 (a second logout changes nothing).
UPDATE dashboard_sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL
