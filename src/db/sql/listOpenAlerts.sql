-- Open incidents (one per rule and subject).
SELECT id, rule, subject, title, summary, detail, opened_at FROM alert_incidents WHERE resolved_at IS NULL ORDER BY id
