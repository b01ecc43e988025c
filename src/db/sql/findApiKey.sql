SELECT id, name, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
