-- Dashboard /alerts: open incidents first (oldest first), then the $1 most recently opened resolved ones.
(SELECT id, rule, subject, title, summary, opened_at, resolved_at FROM alert_incidents
 WHERE resolved_at IS NULL ORDER BY opened_at, id)
UNION ALL
(SELECT id, rule, subject, title, summary, opened_at, resolved_at FROM alert_incidents
 WHERE resolved_at IS NOT NULL ORDER BY opened_at DESC, id DESC LIMIT $1)
