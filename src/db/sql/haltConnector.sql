-- The provider said the problem is the connector, not the job (ProviderError.halt): credentials
-- refused → paused, a probe every cool-down; daily quota spent → paused until the reset ($5; when the
-- probe after a quota pause meets the quota again, the account's own midnight is still ahead: probe
-- hourly); endpoint gone → disabled until reconfigured. Never sooner than one cool-down from now.
-- A halt reported again by another in-flight job keeps the schedule already set.
-- $1 connector, $2 job id, $3 reason (credentials | quota | gone), $4 variable (null for quota),
-- $5 until (quota), $6 cool-down ms, $7 configuration fingerprint, $8 error (redacted provider message).
-- Returns the state before (was, was_reason) and after.
WITH prev AS (
  SELECT connector, status, reason, probe_job_id, next_probe_at FROM connector_state WHERE connector = $1 FOR UPDATE
),
step AS (
  SELECT prev.*, CASE WHEN $3::text = 'gone' THEN 'disabled' ELSE 'paused' END AS to_status,
         (prev.probe_job_id IS NOT DISTINCT FROM $2::bigint) AS is_probe,
         now() + ($6::integer * interval '1 millisecond') AS after_cooldown
  FROM prev
)
UPDATE connector_state s
SET status = st.to_status,
    reason = $3::text,
    variable = $4::text,
    since = CASE WHEN st.status = 'closed' THEN now() ELSE s.since END,
    next_probe_at = CASE
      WHEN $3::text = 'gone' THEN NULL
      WHEN st.status = st.to_status AND st.reason = $3::text AND NOT st.is_probe AND st.next_probe_at IS NOT NULL THEN st.next_probe_at
      WHEN $3::text = 'quota' AND st.is_probe AND st.reason = 'quota'
        THEN GREATEST(LEAST($5::timestamptz, now() + interval '1 hour'), st.after_cooldown)
      WHEN $3::text = 'quota' THEN GREATEST(COALESCE($5::timestamptz, st.after_cooldown), st.after_cooldown)
      ELSE st.after_cooldown
    END,
    probe_job_id = CASE WHEN st.is_probe THEN NULL ELSE s.probe_job_id END,
    probe_until = CASE WHEN st.is_probe THEN NULL ELSE s.probe_until END,
    config_fingerprint = $7::text,
    last_error = $8::text,
    updated_at = now()
FROM step st
WHERE s.connector = st.connector
RETURNING st.status AS was, st.reason AS was_reason, s.status, s.reason, s.variable, s.consecutive_failures, s.next_probe_at
