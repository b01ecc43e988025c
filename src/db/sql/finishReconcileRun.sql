-- The scheduled reconcile by $1 ended (done or failed): free the slot and set the next run one interval
-- ($2 ms) from now. A worker whose lease was taken over changes nothing.
UPDATE reconcile_schedule
SET running_by = NULL, running_until = NULL, last_run_by = $1::text, last_run_at = now(),
    next_run_at = now() + ($2::integer * interval '1 millisecond')
WHERE id = 1 AND running_by = $1::text
