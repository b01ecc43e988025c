-- Backfill: the open (resumable) run of a source ($1), with its cursors; no row when none is open.
SELECT r.id, r.source, r.status, r.since, r.sync_crm, r.owner, r.heartbeat_at, r.counts, r.error, r.started_at, r.updated_at, r.finished_at,
       COALESCE((SELECT jsonb_object_agg(c.kind, jsonb_build_object('startingAfter', c.starting_after, 'done', c.done, 'seen', c.seen))
                 FROM backfill_cursors c WHERE c.run_id = r.id), '{}'::jsonb) AS cursors
FROM backfill_runs r
WHERE r.source = $1 AND r.status IN ('running', 'interrupted', 'failed')
