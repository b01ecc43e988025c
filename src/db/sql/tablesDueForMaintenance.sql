-- PGlite's stand-in for autovacuum (db/maintenance.ts): Handoff's tables past autovacuum's default thresholds.
-- vacuum: dead rows > 50 + 20 % of the table, rows inserted since the last vacuum > 1000 + 20 % (sets the
-- visibility map, so index-only scans stay index-only), or the table's oldest unfrozen transaction older than
-- 150 million (vacuum_freeze_table_age: the VACUUM is then aggressive and freezes; PostgreSQL stops accepting
-- writes near 2 billion). analyze: rows changed since the last analyze > 50 + 10 % of the table.
-- The counters are the cumulative statistics; the caller flushes this session's pending ones first.
SELECT name, due_vacuum AS vacuum, due_analyze AS analyze
FROM (
  SELECT s.relname AS name,
         (s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
          OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0)
          OR age(c.relfrozenxid) > 150000000) AS due_vacuum,
         s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS due_analyze
  FROM pg_stat_user_tables s
  JOIN pg_class c ON c.oid = s.relid
  WHERE s.schemaname = 'public'
) AS t
WHERE due_vacuum OR due_analyze
ORDER BY name
