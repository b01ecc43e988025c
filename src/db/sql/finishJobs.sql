-- Batch completion. Only rows still leased by this worker change: a job whose lease expired and was
-- re-claimed elsewhere is left to its new owner. `attempts` names the claim a result belongs to (the
-- attempts the claim returned): a result of an earlier claim by this same worker (its lease expired while
-- the database was unreachable, and it claimed the job again) is not applied to the newer claim.
-- Returns the ids that changed (their notes and follow-ups are written only for those).
-- Durability: the transaction that runs this commits WITHOUT waiting for its WAL flush (set_config(…, true): this
-- transaction only). A completion is the one write whose loss is already handled: a database CRASH (not a
-- process crash; PostgreSQL then loses at most ~3 × wal_writer_delay of commits) can undo it, the job stays
-- `running` with its attempt counted, its lease expires and it runs again, exactly as when a process dies
-- between a provider call and this statement (connectors are idempotent; the reliability ledger counts it).
-- The event's own record and the claim stay synchronous: losing either would lose an event or hide an attempt.
UPDATE jobs
SET status = r.status,
    attempts = CASE WHEN r.uncount THEN GREATEST(jobs.attempts - 1, 0) ELSE jobs.attempts END,
    result = COALESCE(r.result, jobs.result),
    last_error = r.error,
    run_at = CASE WHEN r.status = 'pending' THEN now() + (r.delay_ms * interval '1 millisecond') ELSE jobs.run_at END,
    locked_by = NULL,
    locked_until = NULL,
    updated_at = now(),
    finished_at = CASE WHEN r.status IN ('done', 'skipped', 'dead') THEN now() END
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit,
     jsonb_to_recordset($2::jsonb) AS r(id bigint, status text, result jsonb, error text, delay_ms integer, uncount boolean, attempts integer)
WHERE jobs.id = r.id AND jobs.locked_by = $1 AND jobs.status = 'running' AND (r.attempts IS NULL OR jobs.attempts = r.attempts)
RETURNING jobs.id
