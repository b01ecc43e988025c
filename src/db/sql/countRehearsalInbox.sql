-- Rehearse: the inbox a rehearsal replays, fixed when it starts ($1 the candidate's start time). Events
-- recorded later are not replayed (last_id), and the diff compares only up to last_id.
SELECT count(*)::integer AS total,
       (count(*) FILTER (WHERE received_at >= $1::timestamptz))::integer AS candidate,
       COALESCE(max(id), 0) AS last_id
FROM inbox_events
