-- Dashboard /review: chatbot actions held for review in review state $1 ('pending', 'approved', 'rejected'),
-- at most $2 (chatbot_decisions_review). Pending: most urgent first, then oldest (the order of GET
-- /api/review); decided: latest first. The customer's email is looked up per listed row.
SELECT d.id, d.conversation_id, d.customer_id,
       COALESCE((SELECT c.email FROM customers c WHERE c.id = d.customer_id), d.email) AS email, d.action, d.message,
       d.category, d.priority, d.rule, d.reason, d.review, d.reviewed_at, d.created_at, d.job_id
FROM chatbot_decisions d
WHERE d.review = $1::text
ORDER BY CASE WHEN $1::text = 'pending' THEN CASE d.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END END,
         CASE WHEN $1::text = 'pending' THEN d.created_at END ASC,
         d.reviewed_at DESC, d.id
LIMIT $2
