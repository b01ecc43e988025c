-- Heartbeat: a live worker keeps the leases of the jobs it is still running, so a slow provider call
-- never lets another worker claim the same job. A dead worker stops renewing and its jobs free up.
-- A job that is its connector's probe renews the probe's lease with its own: a probe slower than one
-- lease (a job of several provider calls) must not let a second probe start beside it. A probe already
-- settled (probe_until cleared) is not revived. The probe's row is skipped while a claim holds it (the next
-- beat, a third of a lease later, renews it): waiting there, holding these job rows, could deadlock with a
-- claim that dead-letters an expired job.
-- $1 worker id, $2 lease ms.
WITH renewed AS (
  UPDATE jobs
  SET locked_until = now() + ($2::integer * interval '1 millisecond')
  WHERE locked_by = $1 AND status = 'running'
  RETURNING id, locked_until
)
UPDATE connector_state s
SET probe_until = r.locked_until
FROM renewed r
WHERE s.probe_job_id = r.id AND s.probe_until IS NOT NULL
  AND s.connector IN (SELECT c.connector FROM connector_state c WHERE c.probe_job_id IN (SELECT id FROM renewed) FOR UPDATE SKIP LOCKED)
