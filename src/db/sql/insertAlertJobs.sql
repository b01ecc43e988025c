-- Alert messages into the outbox ($1: [{connector, kind, idempotency_key, payload}], $2 max attempts).
-- They belong to no customer. A key already queued is skipped. NOTIFY wakes dispatchers at commit.
WITH queued AS (
  INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, max_attempts)
  SELECT j.connector, j.kind, j.idempotency_key, NULL, j.payload, $2::integer
  FROM jsonb_to_recordset($1::jsonb) AS j(connector text, kind text, idempotency_key text, payload jsonb)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id
), n AS (
  SELECT count(*)::integer AS n FROM queued
)
SELECT n.n AS queued,
       (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') FROM n WHERE n.n > 0) AS woke)::integer AS notified
FROM n
