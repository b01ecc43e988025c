-- Run under pg_try_advisory_xact_lock: this worker ($1) claims the scheduled reconcile when it is due and
-- nobody's run is in progress; $2 = RECONCILE_INTERVAL_MS, $3 = the claim's lease in ms. The first call
-- ever only seeds the slot (first run one interval later: the UPDATE does not see the row its own CTE
-- inserted). A next run further away than one interval (the interval was shortened) is due now.
-- Returns a row only for the worker that should run now.
WITH seeded AS (
  INSERT INTO reconcile_schedule (id, next_run_at) VALUES (1, now() + ($2::integer * interval '1 millisecond'))
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
UPDATE reconcile_schedule
SET running_by = $1::text, running_until = now() + ($3::integer * interval '1 millisecond')
WHERE id = 1
  AND (next_run_at <= now() OR next_run_at > now() + ($2::integer * interval '1 millisecond'))
  AND (running_until IS NULL OR running_until < now())
RETURNING now() AS claimed_at
