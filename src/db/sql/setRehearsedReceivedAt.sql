-- Rehearse (scratch schema only): a replayed event keeps its original receive time, so both sides of the
-- diff select the events "since DATE" with the same query.
UPDATE inbox_events SET received_at = $2::timestamptz WHERE id = $1
