-- One Stripe subscription's recorded status and the `created` of the event that set it (migration 0016; recorded from
-- stale events too).
SELECT status, created FROM subscriptions WHERE id = $1
