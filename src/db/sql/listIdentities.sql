SELECT kind, value, created_at FROM identities WHERE customer_id = $1 ORDER BY created_at, kind
