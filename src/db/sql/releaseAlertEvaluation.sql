-- A stopping evaluator ($1) gives up leadership, so another process takes over at its next tick.
DELETE FROM alert_evaluator WHERE evaluated_by = $1::text
