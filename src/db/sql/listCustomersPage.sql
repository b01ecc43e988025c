-- Dashboard /customers: live customers newest first (index customers_created), one page. $1 lifecycle,
-- $2 support (each NULL: any), $3 limit, $4 offset.
SELECT c.id, c.email, c.name, c.lifecycle, c.support, c.created_at, c.updated_at
FROM customers c
WHERE c.merged_into IS NULL
  AND ($1::text IS NULL OR c.lifecycle = $1::text)
  AND ($2::text IS NULL OR c.support = $2::text)
ORDER BY c.created_at DESC, c.id DESC
LIMIT $3 OFFSET $4
