-- Rehearse (scratch schema only): the rehearsed ticket job $1 ends as its real twin did ($2 status at $3) and,
-- when that created ticket $4, the ticket is linked to the job's customer, as the dispatcher did. Nothing
-- happens when the rehearsal did not queue that job (the candidate dropped it).
WITH finished AS (
  UPDATE jobs SET status = $2::text, finished_at = $3::timestamptz, updated_at = $3::timestamptz
  WHERE idempotency_key = $1::text AND status = 'pending'
  RETURNING customer_id
)
INSERT INTO identities (kind, value, customer_id, created_at)
SELECT 'zendesk_ticket', $4::text, f.customer_id, $3::timestamptz
FROM finished f
WHERE $4::text IS NOT NULL AND f.customer_id IS NOT NULL
ON CONFLICT (kind, value) DO NOTHING
