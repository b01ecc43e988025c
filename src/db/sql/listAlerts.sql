-- Incident history for GET /api/alerts: open ones first, then the most recent ($1 rows).
SELECT id, rule, subject, title, summary, detail, opened_at, resolved_at
FROM alert_incidents
ORDER BY (resolved_at IS NULL) DESC, opened_at DESC, id DESC
LIMIT $1::integer
