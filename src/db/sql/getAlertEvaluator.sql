-- Who evaluated the alert rules last, and when (GET /api/alerts).
SELECT evaluated_by, evaluated_at FROM alert_evaluator WHERE id = 1
