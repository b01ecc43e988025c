-- Dashboard "/": the backlog (pending, running, oldest pending by queue time) and dead letters per connector.
-- Each subquery reads only open or dead jobs (jobs_ready, jobs_open_status), never the delivered history.
SELECT
  (SELECT count(*) FROM jobs WHERE status = 'pending')::integer AS pending,
  (SELECT count(*) FROM jobs WHERE status = 'running')::integer AS running,
  (SELECT min(created_at) FROM jobs WHERE status = 'pending') AS oldest_pending,
  (SELECT COALESCE(jsonb_object_agg(connector, n), '{}'::jsonb)
     FROM (SELECT connector, count(*)::integer AS n FROM jobs WHERE status = 'dead' GROUP BY connector) AS d) AS dead_by_connector
