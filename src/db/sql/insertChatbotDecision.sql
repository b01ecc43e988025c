-- One chatbot decision and, when it has a customer, its timeline row, in one statement.
--   $1 id  $2 conversation id  $3 customer id (NULL: nobody matched and nothing ran)  $4 email  $5 user id
--   $6 action  $7 message  $8 bot confidence  $9 metadata  $10 classification  $11 category  $12 priority
--   $13 decision  $14 rule  $15 reason  $16 review ('pending' for needs_review, else NULL)
--   $17 inbox id of the effect  $18 its main job id  $19 at  $20 timeline detail (never the message)
WITH stored AS (
  INSERT INTO chatbot_decisions (id, conversation_id, customer_id, email, user_id, action, message, bot_confidence, metadata,
                                 classification, category, priority, decision, rule, reason, review, inbox_id, job_id, created_at)
  VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::double precision, $9::jsonb,
          $10::jsonb, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text, $17::bigint, $18::bigint, $19::timestamptz)
  RETURNING customer_id
)
INSERT INTO timeline (customer_id, inbox_id, at, kind, rule, detail)
SELECT customer_id, $17::bigint, $19::timestamptz, 'chatbot', $14::text, $20::jsonb FROM stored WHERE customer_id IS NOT NULL
