-- Dashboard customer page: whether the customer's latest Stripe event was live or test mode (for the
-- Stripe dashboard link). NULL when Stripe never sent one.
SELECT (payload ->> 'livemode') AS livemode
FROM inbox_events
WHERE customer_id = $1 AND source = 'stripe'
ORDER BY id DESC
LIMIT 1
