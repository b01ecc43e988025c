-- Dashboard /events filter: every distinct (source, type) in the inbox, by a loose index scan over
-- inbox_events_type (source, type, received_at): one index probe per distinct pair, not a table scan.
WITH RECURSIVE pairs AS (
  (SELECT source, type FROM inbox_events ORDER BY source, type LIMIT 1)
  UNION ALL
  SELECT n.source, n.type
  FROM pairs p, LATERAL (
    SELECT e.source, e.type FROM inbox_events e
    WHERE (e.source, e.type) > (p.source, p.type)
    ORDER BY e.source, e.type
    LIMIT 1
  ) AS n
)
SELECT source, type FROM pairs
