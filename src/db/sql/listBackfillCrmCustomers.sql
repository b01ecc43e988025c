-- Backfill --sync-crm: live customers known to Stripe (a stripe_customer identity), by id after $1, $2 at a time.
SELECT c.id, c.email, c.lifecycle, c.support, c.updated_at
FROM customers c
WHERE c.merged_into IS NULL AND c.id > $1
  AND EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.id AND i.kind = 'stripe_customer')
ORDER BY c.id
LIMIT $2
