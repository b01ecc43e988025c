-- Heartbeat: a live worker keeps the leases of the jobs it is still running, so a slow provider call
-- never lets another worker claim the same job. A dead worker stops renewing and its jobs free up.
UPDATE jobs
SET locked_until = now() + ($2::integer * interval '1 millisecond')
WHERE locked_by = $1 AND status = 'running'
