-- Opens an incident unless one is already open for (rule, subject): then nothing is returned.
INSERT INTO alert_incidents (rule, subject, title, summary, detail)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb)
ON CONFLICT (rule, subject) WHERE resolved_at IS NULL DO NOTHING
RETURNING id, opened_at
