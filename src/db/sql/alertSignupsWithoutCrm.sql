-- Signups (rule `signup`) whose HubSpot contact upsert is still not done $1 ms after it was queued
-- (pending, running or dead; `skipped` means HubSpot is not configured, which is no incident).
SELECT count(*)::integer AS n,
       EXTRACT(EPOCH FROM now() - min(j.created_at))::float8 AS oldest_seconds,
       (array_agg(c.email ORDER BY j.created_at) FILTER (WHERE c.email IS NOT NULL))[1:3] AS emails
FROM jobs j
LEFT JOIN customers c ON c.id = j.customer_id
WHERE j.connector = 'hubspot' AND j.kind = 'upsert_contact' AND j.status IN ('pending', 'running', 'dead')
  AND j.created_at < now() - ($1::integer * interval '1 millisecond')
  AND EXISTS (SELECT 1 FROM timeline t WHERE t.customer_id = j.customer_id AND t.inbox_id = j.inbox_id AND t.rule = 'signup')
