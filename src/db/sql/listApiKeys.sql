-- Every key, live and revoked; never the hash.
SELECT id, name, prefix, scopes, is_bootstrap, created_at, revoked_at
FROM api_keys
ORDER BY created_at, id
