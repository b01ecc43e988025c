-- Rehearse: how each helpdesk ticket job ended in reality, in the order they ended (the ticket the dispatcher
-- linked to the customer comes from the result). Jobs still queued are not listed: they stay queued.
SELECT idempotency_key, status, finished_at, result ->> 'ticket_id' AS ticket_id
FROM jobs
WHERE connector = 'zendesk' AND kind = 'create_ticket' AND finished_at IS NOT NULL AND status IN ('done', 'skipped', 'dead')
ORDER BY finished_at, id
