-- A job reached the provider and got an answer that is not a failure of the provider (2xx, or a
-- permanent 4xx about the job itself). The probe closes the circuit (or ends a pause) whatever the
-- state; any other job only resets the failure count of a closed circuit, because an answer that
-- arrives after a pause began may have been given before it (it proves nothing about the pause).
-- $1 connector, $2 job id. Returns the state before (was, was_reason) and after; no row = nothing changed.
WITH prev AS (
  SELECT connector, status, reason, probe_job_id, consecutive_failures FROM connector_state WHERE connector = $1 FOR UPDATE
)
UPDATE connector_state s
SET status = 'closed', reason = NULL, variable = NULL, since = NULL, next_probe_at = NULL, consecutive_failures = 0,
    probe_job_id = NULL, probe_until = NULL, last_error = NULL, updated_at = now()
FROM prev
WHERE s.connector = prev.connector
  AND (prev.probe_job_id = $2::bigint OR (prev.status = 'closed' AND prev.consecutive_failures > 0))
RETURNING prev.status AS was, prev.reason AS was_reason, s.status, s.reason, s.variable, s.consecutive_failures, s.next_probe_at
