UPDATE timeline SET customer_id = $2 WHERE customer_id = $1
