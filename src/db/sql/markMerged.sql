UPDATE customers SET merged_into = $2, updated_at = $3 WHERE id = $1
