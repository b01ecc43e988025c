-- drift_detected: the newest scheduled reconcile that found drift, unless a later report (any trigger:
-- a fix, a manual check; not one limited by --customer or --limit) found everything in order, or fixed it all. No row: nothing to alert.
SELECT s.id, s.finished_at, s.drift_count - s.fixed_count AS drift,
       (SELECT count(DISTINCT e.customer_id) FROM drift_entries e WHERE e.report_id = s.id)::integer AS customers,
       (SELECT jsonb_object_agg(p.provider, p.n) FROM (
          SELECT e.provider, count(*)::integer AS n FROM drift_entries e WHERE e.report_id = s.id GROUP BY e.provider) p) AS by_provider
FROM (SELECT * FROM drift_reports WHERE trigger = 'schedule' ORDER BY finished_at DESC, id DESC LIMIT 1) s
WHERE s.drift_count > s.fixed_count
  AND NOT EXISTS (SELECT 1 FROM drift_reports r WHERE r.finished_at > s.finished_at AND r.drift_count = r.fixed_count AND NOT r.partial)
