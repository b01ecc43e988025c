-- Failed attempts of Zendesk ticket creation since the last ticket created: attempts of create_ticket jobs
-- that failed and were touched after the last success (a running job's current attempt has not failed yet).
WITH last_ok AS (
  SELECT max(finished_at) AS at FROM jobs WHERE connector = 'zendesk' AND kind = 'create_ticket' AND status = 'done'
)
SELECT COALESCE(sum(CASE WHEN j.status = 'running' THEN j.attempts - 1 ELSE j.attempts END), 0)::integer AS failures,
       count(*)::integer AS jobs,
       (array_agg(j.last_error ORDER BY j.updated_at DESC, j.id DESC))[1] AS last_error
FROM jobs j, last_ok
WHERE j.connector = 'zendesk' AND j.kind = 'create_ticket' AND j.status IN ('pending', 'running', 'dead')
  AND j.last_error IS NOT NULL AND (last_ok.at IS NULL OR j.updated_at > last_ok.at)
