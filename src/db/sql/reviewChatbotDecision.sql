-- The founder's verdict on a pending decision (after lockChatbotDecision), and its timeline row.
--   $1 decision id  $2 'approved' | 'rejected'  $3 at  $4 the live customer (NULL: none; the stored one is kept)
--   $5 inbox id of the effect (approved)  $6 its main job id  $7 timeline detail (never the message)
WITH reviewed AS (
  UPDATE chatbot_decisions
  SET review = $2::text, reviewed_at = $3::timestamptz, customer_id = COALESCE($4::text, customer_id), inbox_id = $5::bigint, job_id = $6::bigint
  WHERE id = $1::text AND review = 'pending'
  RETURNING id
)
INSERT INTO timeline (customer_id, inbox_id, at, kind, rule, detail)
SELECT $4::text, $5::bigint, $3::timestamptz, 'chatbot', 'review_' || $2::text, $7::jsonb FROM reviewed WHERE $4::text IS NOT NULL
