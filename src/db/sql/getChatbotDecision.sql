-- A stored chatbot decision's answer, for a retried request carrying the same Idempotency-Key.
SELECT id, decision, reason, category, job_id FROM chatbot_decisions WHERE id = $1
