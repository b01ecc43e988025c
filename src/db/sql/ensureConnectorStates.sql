-- Creates the state row of each configured connector (window empty, circuit closed), and clears a
-- pause or a disable that was recorded under another configuration: a restart with a replaced token or
-- a new endpoint URL resumes delivery at once. An open circuit (an outage) is kept.
-- $1 [{connector, fingerprint}]. Returns the rows created or cleared; was = the status before (null = created).
WITH c AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(connector text, fingerprint text)
),
prev AS (
  SELECT s.connector, s.status, s.reason, s.variable FROM connector_state s
  WHERE s.connector IN (SELECT connector FROM c)
  ORDER BY s.connector
  FOR UPDATE
),
up AS (
  INSERT INTO connector_state AS s (connector, config_fingerprint)
  -- Reads prev, so prev is locked and read before any row changes (a row this statement has already
  -- changed would be invisible to it).
  SELECT c.connector, c.fingerprint FROM c LEFT JOIN prev USING (connector)
  ON CONFLICT (connector) DO UPDATE
  SET status = 'closed', reason = NULL, variable = NULL, since = NULL, next_probe_at = NULL, consecutive_failures = 0,
      probe_job_id = NULL, probe_until = NULL, last_error = NULL, config_fingerprint = EXCLUDED.config_fingerprint, updated_at = now()
  WHERE s.status IN ('paused', 'disabled') AND s.config_fingerprint IS DISTINCT FROM EXCLUDED.config_fingerprint
  RETURNING s.connector, s.status
)
SELECT up.connector, up.status, prev.status AS was, prev.reason AS was_reason, prev.variable AS was_variable
FROM up LEFT JOIN prev USING (connector)
