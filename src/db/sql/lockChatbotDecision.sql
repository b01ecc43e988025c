-- A review verdict's first statement: the decision, row-locked, so two verdicts on it run one after the other.
SELECT id, conversation_id, customer_id, email, user_id, action, message, metadata, category, priority, decision, rule,
       review, job_id, created_at
FROM chatbot_decisions
WHERE id = $1
FOR UPDATE
