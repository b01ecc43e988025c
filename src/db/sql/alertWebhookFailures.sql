-- Webhook requests in the last $1 ms by outcome (all sources and web processes), for the failure-rate rule.
SELECT outcome, sum(n)::integer AS n
FROM webhook_stats
WHERE bucket > now() - ($1::integer * interval '1 millisecond')
GROUP BY outcome
