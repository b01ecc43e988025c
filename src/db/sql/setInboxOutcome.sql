UPDATE inbox_events SET outcome = $2, outcome_reason = $3, customer_id = $4 WHERE id = $1
