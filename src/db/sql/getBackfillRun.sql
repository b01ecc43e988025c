-- Backfill: one run by id ($1), or the newest run of source $2 when $1 is NULL, with its cursors.
SELECT r.id, r.source, r.status, r.since, r.sync_crm, r.owner, r.heartbeat_at, r.counts, r.error, r.started_at, r.updated_at, r.finished_at,
       COALESCE((SELECT jsonb_object_agg(c.kind, jsonb_build_object('startingAfter', c.starting_after, 'done', c.done, 'seen', c.seen))
                 FROM backfill_cursors c WHERE c.run_id = r.id), '{}'::jsonb) AS cursors
FROM backfill_runs r
WHERE ($1::text IS NOT NULL AND r.id = $1::text) OR ($1::text IS NULL AND r.source = $2::text)
ORDER BY r.started_at DESC
LIMIT 1
