-- The dispatcher backlog for the doctor and the admin status: counts per state (each subquery uses the
-- jobs_open_status index), dead letters per connector, and the database's own clock.
SELECT
  (SELECT count(*) FROM jobs WHERE status = 'pending')::integer AS pending,
  (SELECT count(*) FROM jobs WHERE status = 'pending' AND run_at <= now())::integer AS due,
  (SELECT count(*) FROM jobs WHERE status = 'running')::integer AS running,
  (SELECT count(*) FROM jobs WHERE status = 'running' AND locked_until < now())::integer AS stuck,
  (SELECT COALESCE(jsonb_object_agg(connector, n), '{}'::jsonb)
     FROM (SELECT connector, count(*)::integer AS n FROM jobs WHERE status = 'dead' GROUP BY connector) AS d) AS dead_by_connector,
  now() AS now
