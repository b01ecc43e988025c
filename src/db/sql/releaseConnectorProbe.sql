-- The probe did not reach the provider (skipped by its precondition, customer gone, a bug): it proves
-- nothing, so the next due job probes at once.
-- $1 connector, $2 job id.
UPDATE connector_state
SET probe_job_id = NULL, probe_until = NULL, next_probe_at = now(), updated_at = now()
WHERE connector = $1 AND probe_job_id = $2::bigint
