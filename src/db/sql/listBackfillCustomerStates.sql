-- Backfill: the Handoff customer (live record) and state behind each Stripe customer id in $1.
SELECT i.value AS stripe_customer, c.id, c.lifecycle, c.support
FROM identities i JOIN customers c ON c.id = i.customer_id
WHERE i.kind = 'stripe_customer' AND i.value = ANY($1::text[]) AND c.merged_into IS NULL
