SELECT count(*)::integer AS n FROM workers WHERE role = $1 AND heartbeat_at > now() - ($2::integer * interval '1 millisecond')
