-- The live session with id hash $1 at time $2 (not revoked, not expired); the caller checks the token fingerprint.
SELECT token_fp, expires_at
FROM dashboard_sessions
WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2
