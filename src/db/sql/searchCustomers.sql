-- Dashboard /customers?q=: live customers matching $1, newest first, one page. A match is a Handoff id or
-- any linked id (email, cus_…, a user id) equal to $1, or an email beginning with it ($2: the LIKE prefix
-- pattern, lower-cased, wildcards escaped by the caller). Each way reads its own index (customers_pkey,
-- customers_email_prefix, identities_value); only the matches are then read. $3 lifecycle, $4 support
-- (each NULL: any); $5 limit; $6 offset.
WITH matched AS (
  SELECT id FROM customers WHERE id = $1::text
  UNION
  SELECT id FROM customers WHERE merged_into IS NULL AND lower(email) LIKE $2::text ESCAPE '\'
  UNION
  SELECT customer_id FROM identities WHERE value = $1::text OR value = lower($1::text)
)
SELECT c.id, c.email, c.name, c.lifecycle, c.support, c.created_at, c.updated_at
FROM matched m
JOIN customers c ON c.id = m.id
WHERE c.merged_into IS NULL
  AND ($3::text IS NULL OR c.lifecycle = $3::text)
  AND ($4::text IS NULL OR c.support = $4::text)
ORDER BY c.created_at DESC, c.id DESC
LIMIT $5 OFFSET $6
