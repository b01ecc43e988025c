-- Sessions that ended (expired or revoked) before $1 are deleted; run at each login, so the table stays small.
DELETE FROM dashboard_sessions WHERE expires_at < $1 OR revoked_at < $1
