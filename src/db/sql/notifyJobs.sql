-- Delivered at commit; only a wake-up hint for dispatchers, which also poll.
SELECT pg_notify('handoff_jobs', '')
