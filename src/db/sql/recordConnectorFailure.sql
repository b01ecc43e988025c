-- A job failed in a way that says the provider is unwell (network, timeout, 408/409/425/429/5xx).
-- The CIRCUIT_FAILURE_THRESHOLD-th failure in a row opens a closed circuit; a failed probe re-opens it.
-- Either way no call is made for the cool-down. Failures of jobs already in flight only count.
-- $1 connector, $2 job id, $3 threshold, $4 cool-down ms, $5 error (redacted provider message).
-- Returns the state before (was, was_reason) and after.
WITH prev AS (
  SELECT connector, status, reason, probe_job_id, consecutive_failures FROM connector_state WHERE connector = $1 FOR UPDATE
),
step AS (
  SELECT prev.*, (prev.probe_job_id IS NOT DISTINCT FROM $2::bigint) AS probe_failed,
         (prev.status = 'closed' AND prev.consecutive_failures + 1 >= $3::integer) AS trips
  FROM prev
)
UPDATE connector_state s
SET consecutive_failures = s.consecutive_failures + 1,
    status = CASE WHEN st.probe_failed OR st.trips THEN 'open' ELSE s.status END,
    reason = CASE WHEN st.probe_failed OR st.trips THEN 'failures' ELSE s.reason END,
    variable = CASE WHEN st.probe_failed OR st.trips THEN NULL ELSE s.variable END,
    since = CASE WHEN st.trips THEN now() ELSE s.since END,
    next_probe_at = CASE WHEN st.probe_failed OR st.trips THEN now() + ($4::integer * interval '1 millisecond') ELSE s.next_probe_at END,
    probe_job_id = CASE WHEN st.probe_failed THEN NULL ELSE s.probe_job_id END,
    probe_until = CASE WHEN st.probe_failed THEN NULL ELSE s.probe_until END,
    last_error = CASE WHEN st.probe_failed OR st.trips THEN $5 ELSE s.last_error END,
    updated_at = now()
FROM step st
WHERE s.connector = st.connector
RETURNING st.status AS was, st.reason AS was_reason, s.status, s.reason, s.variable, s.consecutive_failures, s.next_probe_at
