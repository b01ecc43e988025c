-- The bootstrap key is whatever HANDOFF_API_KEY says now: insert it (or keep it) and revoke every
-- earlier bootstrap key, so a rotated or leaked one stops working at the next start.
WITH current_key AS (
  INSERT INTO api_keys (id, name, prefix, key_hash, scopes, is_bootstrap)
  VALUES ($1, $2, $3, $4, $5, true)
  ON CONFLICT (key_hash) DO UPDATE SET is_bootstrap = true
  RETURNING id
)
UPDATE api_keys SET revoked_at = now()
WHERE is_bootstrap AND revoked_at IS NULL AND key_hash <> $4
