-- Revokes the key whose id is $1, or whose display prefix is $1 when exactly one key has it.
-- Revoking twice keeps the first time. No row: nothing (unambiguous) matched.
UPDATE api_keys
SET revoked_at = COALESCE(revoked_at, now())
WHERE id = $1 OR (prefix = $1 AND (SELECT count(*) FROM api_keys WHERE prefix = $1) = 1)
RETURNING id, name, prefix, scopes, is_bootstrap, created_at, revoked_at
