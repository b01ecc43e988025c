-- Drops webhook outcome buckets older than $1 ms.
DELETE FROM webhook_stats WHERE bucket < now() - ($1::integer * interval '1 millisecond')
