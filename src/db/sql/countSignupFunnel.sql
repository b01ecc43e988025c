-- Dashboard "/": of the live customers first seen since $1 (signups), how many reached a trial (or paid
-- straight away), how many paid, and how many of those paying asked for support. Each step is a subset of
-- the one before. "Reached" reads the timeline's milestone rows (index timeline_milestones: transitions
-- survive later changes) and the current state.
SELECT count(*)::integer AS signup,
       (count(*) FILTER (WHERE trial OR paid))::integer AS trial,
       (count(*) FILTER (WHERE paid))::integer AS paid,
       (count(*) FILTER (WHERE paid AND support))::integer AS support
FROM (
  SELECT c.lifecycle = 'trial' OR COALESCE(m.trial, false) AS trial,
         c.lifecycle = 'paid' OR COALESCE(m.paid, false) AS paid,
         c.support = 'needs_support' OR COALESCE(m.support, false) AS support
  FROM customers c
  LEFT JOIN LATERAL (
    SELECT bool_or(t.to_state = 'trial') AS trial, bool_or(t.to_state = 'paid') AS paid, bool_or(t.rule = 'support_needed') AS support
    FROM timeline t
    WHERE t.customer_id = c.id AND (t.to_state IN ('trial', 'paid') OR t.rule = 'support_needed')
  ) AS m ON true
  WHERE c.merged_into IS NULL AND c.created_at >= $1
) AS s
