-- Backfill: a new run. $1 id, $2 source, $3 since, $4 sync_crm, $5 owner, $6 now.
-- No row returned when the source already has an open run (backfill_runs_one_open): resume that one.
INSERT INTO backfill_runs (id, source, status, since, sync_crm, owner, heartbeat_at, started_at, updated_at)
VALUES ($1, $2, 'running', $3, $4, $5, $6, $6, $6)
ON CONFLICT DO NOTHING
RETURNING id
