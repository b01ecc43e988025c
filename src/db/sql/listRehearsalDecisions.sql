-- Rehearse: the stored chatbot decisions ($1 ids) a replay rebuilds the chatbot's events from.
SELECT id, conversation_id, action, message, metadata, category, priority, email, user_id
FROM chatbot_decisions
WHERE id = ANY($1::text[])
