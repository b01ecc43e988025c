INSERT INTO customers (id, email, name, created_at, updated_at)
VALUES ($1, $2, $3, $4, $4)
