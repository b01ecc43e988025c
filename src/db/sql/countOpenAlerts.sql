-- Open alert incidents per rule (handoff_alerts_firing).
SELECT rule, count(*)::integer AS n FROM alert_incidents WHERE resolved_at IS NULL GROUP BY rule
