UPDATE chatbot_decisions SET customer_id = $2 WHERE customer_id = $1
