-- A new dashboard session: $1 SHA-256 of the session id, $2 admin-token fingerprint, $3 now, $4 expiry.
INSERT INTO dashboard_sessions (id_hash, token_fp, created_at, expires_at)
VALUES ($1, $2, $3, $4)
