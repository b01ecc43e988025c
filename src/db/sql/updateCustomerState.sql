-- Email and name only fill gaps or take the newer non-empty value; they are never cleared by an event.
UPDATE customers
SET lifecycle = $2,
    support = $3,
    email = COALESCE($4, email),
    name = COALESCE($5, name),
    updated_at = $6
WHERE id = $1
