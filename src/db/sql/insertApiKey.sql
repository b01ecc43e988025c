INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key_hash) DO NOTHING
