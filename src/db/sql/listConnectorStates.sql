-- Every connector's delivery state (a row exists once a dispatcher has claimed for the connector).
-- status <> 'closed' means the connector is not delivering: reason says why (failures, credentials,
-- quota, gone), variable names the setting to fix, since when, next_probe_at when it tries again.
-- probing = a probe job is in flight now. window_at/window_n and now_ms let the caller compute the calls
-- left in the rolling window (dispatcher/rate-limit.ts windowRoom); alert rules can ignore them.
SELECT connector, status, reason, variable, since, next_probe_at, consecutive_failures,
       (probe_until IS NOT NULL AND probe_until > now()) AS probing, last_error, updated_at,
       window_at, window_n, extract(epoch FROM now())::float8 * 1000 AS now_ms
FROM connector_state
ORDER BY connector
