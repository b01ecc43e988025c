-- Adds one process's webhook outcome counts ($1: [{bucket, source, outcome, n}]) to the shared buckets.
INSERT INTO webhook_stats (bucket, source, outcome, n)
SELECT s.bucket, s.source, s.outcome, s.n
FROM jsonb_to_recordset($1::jsonb) AS s(bucket timestamptz, source text, outcome text, n integer)
ON CONFLICT (bucket, source, outcome) DO UPDATE SET n = webhook_stats.n + EXCLUDED.n
