-- Dashboard /events: the inbox newest first, one page. $1 source, $2 type, $3 outcome (each NULL: any),
-- $4 cursor (only ids below it; NULL: from the newest), $5 limit, $6 window. At most $6 consecutive ids
-- below the cursor are examined: the bounds are init-plan values, so they are primary-key index
-- conditions whatever the filters and the plan, and a filter that matches nothing costs one window, not
-- the whole inbox (the page then offers the next window). Returns the window's lower bound with every
-- row (and alone, as a row of NULLs, when nothing matched).
WITH w AS MATERIALIZED (
  SELECT b.below, b.below - $6::bigint AS floor
  FROM (SELECT COALESCE($4::bigint, (SELECT max(id) + 1 FROM inbox_events), 1) AS below) AS b
), page AS (
  SELECT e.id, e.source, e.event_id, e.type, e.occurred_at, e.received_at, e.outcome, e.outcome_reason,
         e.customer_id, (SELECT c.email FROM customers c WHERE c.id = e.customer_id) AS email
  FROM inbox_events e
  WHERE e.id < (SELECT below FROM w) AND e.id >= (SELECT floor FROM w)
    AND ($1::text IS NULL OR e.source = $1::text)
    AND ($2::text IS NULL OR e.type = $2::text)
    AND ($3::text IS NULL OR e.outcome = $3::text)
  ORDER BY e.id DESC
  LIMIT $5
)
SELECT page.*, w.floor AS window_floor FROM w LEFT JOIN page ON true ORDER BY page.id DESC NULLS LAST
