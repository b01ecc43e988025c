-- Follow-up jobs of parents that were just recorded as done ($1: [{parent_id, customer_id, connector, kind,
-- idempotency_key, payload, status, reason}], $2 max attempts). They inherit the parent's inbox event, so the
-- timeline shows the whole chain. Keys are fixed when the parent was queued: a parent that ran twice (lost
-- lease) still queues each follow-up once. Returns how many were queued as pending; NOTIFY wakes dispatchers.
WITH queued AS (
  INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, status, max_attempts, result, finished_at)
  SELECT f.connector, f.kind, f.idempotency_key, f.customer_id, p.inbox_id, f.payload, f.status, $2::integer,
         CASE WHEN f.reason IS NOT NULL THEN jsonb_build_object('skipped', f.reason) END,
         CASE WHEN f.status = 'skipped' THEN now() END
  FROM jsonb_to_recordset($1::jsonb) AS f(parent_id bigint, customer_id text, connector text, kind text, idempotency_key text, payload jsonb, status text, reason text)
  JOIN jobs p ON p.id = f.parent_id
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING status
), pending AS (
  SELECT count(*)::integer AS n FROM queued WHERE status = 'pending'
)
SELECT pending.n AS queued,
       (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') FROM pending WHERE pending.n > 0) AS woke)::integer AS notified
FROM pending
