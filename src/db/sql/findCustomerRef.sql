-- Lookup by customer id, normalised email, or any linked external id.
SELECT c.id FROM customers c WHERE c.id = $1
UNION ALL
SELECT i.customer_id FROM identities i WHERE i.value = $1 OR (i.kind = 'email' AND i.value = lower($1))
LIMIT 1
