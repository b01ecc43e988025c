-- Every inbox event linked to the customer (applied, stale or ignored), newest $2 first (shown oldest first).
SELECT id, source, event_id, type, occurred_at, received_at, outcome, outcome_reason
FROM inbox_events
WHERE customer_id = $1
ORDER BY received_at DESC, id DESC
LIMIT $2
