INSERT INTO workers (id, role) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
