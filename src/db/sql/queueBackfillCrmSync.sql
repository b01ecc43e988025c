-- Backfill --sync-crm: one HubSpot upsert per customer ($1 ids) under its key ($2, derived from the
-- customer's state), $3 max attempts. A key already queued is skipped, so a second run adds nothing.
-- Returns how many were queued; NOTIFY wakes dispatchers.
WITH queued AS (
  INSERT INTO jobs (connector, kind, idempotency_key, customer_id, payload, status, max_attempts)
  SELECT 'hubspot', 'upsert_contact', k.key, k.customer_id, '{}'::jsonb, 'pending', $3::integer
  FROM unnest($1::text[], $2::text[]) AS k(customer_id, key)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id
)
SELECT (SELECT count(*) FROM queued)::integer AS queued,
       (SELECT count(*) FROM (SELECT pg_notify('handoff_jobs', '') FROM (SELECT 1 FROM queued LIMIT 1) AS one) AS woke)::integer AS notified
