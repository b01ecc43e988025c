-- Reconcile --fix for CRM drift: a HubSpot upsert (Handoff's state at run time) under a fresh key, and
-- the timeline row that explains it, in one statement. $1 customer id, $2 idempotency key, $3 max attempts,
-- $4 timeline detail. Returns the job id (no row when the key was already queued); NOTIFY wakes dispatchers.
WITH queued AS (
  INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, status, max_attempts)
  VALUES ('hubspot', 'upsert_contact', $2::text, $1::text, '{}'::jsonb, 'pending', $3::integer)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, customer_id
), noted AS (
  INSERT INTO timeline (customer_id, kind, detail)
  SELECT customer_id, 'reconcile', $4::jsonb || jsonb_build_object('job_id', id) FROM queued
)
SELECT q.id, (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') FROM queued) AS woke)::integer AS notified
FROM queued q
