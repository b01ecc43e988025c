SELECT id, email, name, lifecycle, support, merged_into, created_at, updated_at
FROM customers
WHERE id = $1
