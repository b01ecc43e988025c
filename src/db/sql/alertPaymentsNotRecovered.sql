-- Stripe invoices whose first invoice.payment_failed arrived more than $1 ms ago and that nothing has settled since
-- (invoices, migration 0019: no payment, void or write-off of the invoice, no later payment by the same Stripe
-- customer), while the customer is still past_due in Handoff. Reads the open failures only (invoices_open, oldest
-- first): its cost follows what is unpaid now, not the history. The first failure's inbox row names the customer
-- (merges move inbox rows to the survivor).
SELECT i.id AS invoice, i.stripe_customer, i.failed_at, e.customer_id, c.email, i.amount_due, i.currency
FROM invoices i
JOIN inbox_events e ON e.id = i.failed_inbox_id
LEFT JOIN customers c ON c.id = e.customer_id
WHERE i.settled_at IS NULL AND i.failed_at IS NOT NULL
  AND i.failed_at < now() - ($1::integer * interval '1 millisecond')
  AND (c.lifecycle IS NULL OR c.lifecycle = 'past_due')
ORDER BY i.failed_at
LIMIT 100
