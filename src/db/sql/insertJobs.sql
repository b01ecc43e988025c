-- One row per effect; a key already queued (same cause) is skipped, which makes re-recording harmless.
INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, status, max_attempts, result, finished_at)
SELECT j.connector, j.kind, j.idempotency_key, $2, $3, j.payload, j.status, $4,
       CASE WHEN j.reason IS NOT NULL THEN jsonb_build_object('skipped', j.reason) END,
       CASE WHEN j.status = 'skipped' THEN now() END
FROM jsonb_to_recordset($1::jsonb) AS j(connector text, kind text, idempotency_key text, payload jsonb, status text, reason text)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, status
