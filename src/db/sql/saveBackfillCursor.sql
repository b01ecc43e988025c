-- Backfill checkpoint, while this process still owns the run: the kind's cursor and the run's tallies.
-- $1 run id, $2 owner, $3 kind, $4 starting_after, $5 done, $6 counts (jsonb), $7 now, $8 seen.
-- No row returned = the run was taken over or stopped: the caller must stop.
WITH run AS (
  UPDATE backfill_runs SET counts = $6::jsonb, heartbeat_at = $7, updated_at = $7
  WHERE id = $1 AND owner = $2 AND status = 'running'
  RETURNING id
)
INSERT INTO backfill_cursors (run_id, kind, starting_after, done, seen, updated_at)
SELECT id, $3, $4, $5, $8, $7 FROM run
ON CONFLICT (run_id, kind) DO UPDATE
SET starting_after = EXCLUDED.starting_after, done = EXCLUDED.done, seen = EXCLUDED.seen, updated_at = EXCLUDED.updated_at
RETURNING run_id
