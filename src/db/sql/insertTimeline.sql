INSERT INTO timeline (customer_id, inbox_id, at, kind, from_state, to_state, rule, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
