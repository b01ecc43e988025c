-- Batch completion. Only rows still leased by this worker change: a job whose lease expired and was
-- re-claimed elsewhere is left to its new owner. `attempts` names the claim a result belongs to (the
-- attempts the claim returned): a result of an earlier claim by this same worker (its lease expired while
-- the database was unreachable, and it claimed the job again) is not applied to the newer claim.
-- Returns the ids that changed (their notes and follow-ups are written only for those).
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
FROM jsonb_to_recordset($2::jsonb) AS r(id bigint, status text, result jsonb, error text, delay_ms integer, uncount boolean, attempts integer)
WHERE jobs.id = r.id AND jobs.locked_by = $1 AND jobs.status = 'running' AND (r.attempts IS NULL OR jobs.attempts = r.attempts)
RETURNING jobs.id
