-- Per-connector delivery state, shared by every dispatcher through the database: the rolling window of
-- calls granted (rate limit), and the circuit / pause that stops calls to a provider that keeps failing,
-- refuses our credentials, ran out of daily quota or is gone. One row per configured connector, created
-- by the first dispatcher that claims for it. Read by GET /api/connectors and the alert rules
-- (sql/listConnectorStates.sql).
CREATE TABLE connector_state (
  connector            text PRIMARY KEY,
  -- closed:   delivering (paced by the window).
  -- open:     consecutive_failures reached CIRCUIT_FAILURE_THRESHOLD: no calls until next_probe_at.
  -- paused:   the provider refused our credentials (reason credentials) or a daily quota is spent
  --           (reason quota): no calls until next_probe_at.
  -- disabled: the endpoint is gone (reason gone, HTTP 410): no calls until the connector is reconfigured.
  -- In every state but closed, ONE job (the probe) runs once next_probe_at has passed: success closes.
  status               text NOT NULL DEFAULT 'closed' CHECK (status IN ('closed', 'open', 'paused', 'disabled')),
  reason               text CHECK (reason IN ('failures', 'credentials', 'quota', 'gone')),
  -- The environment variable to fix (credentials, gone); never its value.
  variable             text,
  -- When the connector stopped delivering (kept across probe cycles); null while closed.
  since                timestamptz,
  next_probe_at        timestamptz,
  -- Retryable failures in a row (network, timeout, 408/409/425/429/5xx); any success resets it.
  consecutive_failures integer NOT NULL DEFAULT 0,
  -- The probe in flight and how long it may take before another dispatcher probes instead.
  probe_job_id         bigint,
  probe_until          timestamptz,
  -- The failure that changed the state (provider message, already redacted; never a credential).
  last_error           text,
  -- Hash prefix of the connector's configuration when it was halted; a restart with another
  -- configuration clears a pause or a disable. Never the configuration itself (URLs may hold secrets).
  config_fingerprint   text,
  -- Calls granted per time slot (epoch ms of the slot start; slot = window / 50), pruned on each write.
  window_at            double precision[] NOT NULL DEFAULT '{}',
  window_n             integer[] NOT NULL DEFAULT '{}',
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The claim takes each connector's oldest due jobs separately, so a connector that must wait never
-- hides another connector's jobs behind its backlog.
CREATE INDEX jobs_ready_connector ON jobs (connector, run_at, id) WHERE status = 'pending';
