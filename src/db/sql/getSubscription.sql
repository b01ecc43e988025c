-- The `created` of the event whose status the subscriptions table holds for one Stripe subscription (migration
-- 0016; recorded from stale events too). No row: no status recorded yet.
SELECT created FROM subscriptions WHERE id = $1
