-- Reconcile --fix through the pipeline: the timeline row that says why the synthetic event was recorded
-- ($1 customer id, $2 its inbox row, $3 detail {message, provider, field, …}), in record()'s transaction.
INSERT INTO timeline (customer_id, inbox_id, kind, detail) VALUES ($1::text, $2::bigint, 'reconcile', $3::jsonb)
