UPDATE subscriptions SET customer_id = $2 WHERE customer_id = $1
