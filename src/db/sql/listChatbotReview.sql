-- The review queue: decisions that needed review, in review state $1 (pending | approved | rejected | all),
-- most urgent first, then oldest first; at most $2.
SELECT id, created_at, conversation_id, customer_id, email, user_id, action, message, bot_confidence, metadata,
       classification, category, priority, rule, reason, review, reviewed_at, job_id
FROM chatbot_decisions
WHERE review IS NOT NULL AND ($1::text = 'all' OR review = $1::text)
ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, created_at, id
LIMIT $2
