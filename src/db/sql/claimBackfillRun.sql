-- Backfill: take over an open run for this process ($3 owner, $4 now), only if it is still exactly as
-- read ($2 previous heartbeat): two processes resuming at once cannot both win. $5 sync_crm (a resume
-- may add --sync-crm). Returns the id when claimed.
UPDATE backfill_runs
SET status = 'running', owner = $3, heartbeat_at = $4, updated_at = $4, error = NULL, sync_crm = sync_crm OR $5::boolean
WHERE id = $1 AND heartbeat_at = $2 AND status IN ('running', 'interrupted', 'failed')
RETURNING id
