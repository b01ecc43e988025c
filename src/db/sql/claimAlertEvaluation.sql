-- Run under pg_try_advisory_xact_lock: this evaluator ($1) becomes (or stays) the leader unless another
-- one evaluated within the last $2 ms. Returns a row only when this evaluator should evaluate now.
INSERT INTO alert_evaluator (id, evaluated_by, evaluated_at) VALUES (1, $1::text, now())
ON CONFLICT (id) DO UPDATE SET evaluated_by = EXCLUDED.evaluated_by, evaluated_at = EXCLUDED.evaluated_at
WHERE alert_evaluator.evaluated_by = EXCLUDED.evaluated_by
   OR alert_evaluator.evaluated_at < now() - ($2::integer * interval '1 millisecond')
RETURNING evaluated_at
