-- The customer's live subscriptions other than $2 (the one the event reports; '' = none): trialing, active,
-- past_due or unpaid, the statuses reconcile counts as live. Decides the condition another_subscription_live.
SELECT id, status FROM subscriptions
WHERE customer_id = $1 AND id <> $2 AND status IN ('trialing', 'active', 'past_due', 'unpaid')
ORDER BY id
