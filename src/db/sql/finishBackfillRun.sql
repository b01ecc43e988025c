-- Backfill: the run ends as $3 (done | interrupted | failed | abandoned) with $4 error and $5 counts, at $6.
-- Only its owner ($2) may end it. Returns the id.
UPDATE backfill_runs
SET status = $3, error = $4, counts = $5::jsonb, heartbeat_at = $6, updated_at = $6,
    finished_at = CASE WHEN $3 IN ('done', 'abandoned') THEN $6::timestamptz END
WHERE id = $1 AND owner = $2
RETURNING id
