-- Backfill: the owner ($2) is alive ($3 now). No row = no longer this process's run.
UPDATE backfill_runs SET heartbeat_at = $3 WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING id
