-- Dashboard /events filter: every distinct (source, type) in the inbox, by a loose index scan over
-- inbox_events_type_source (type, source, received_at): one index probe per distinct pair, not a table scan.
WITH RECURSIVE pairs AS (
  (SELECT type, source FROM inbox_events ORDER BY type, source LIMIT 1)
  UNION ALL
  SELECT n.type, n.source
  FROM pairs p, LATERAL (
    SELECT e.type, e.source FROM inbox_events e
    WHERE (e.type, e.source) > (p.type, p.source)
    ORDER BY e.type, e.source
    LIMIT 1
  ) AS n
)
SELECT source, type FROM pairs ORDER BY source, type
