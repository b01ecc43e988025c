-- The claim's per-(customer, connector) order check looks for a RUNNING job of the same customer and
-- connector for every candidate. Without this index PostgreSQL scans every running job per candidate
-- (cost grows with batch × jobs in flight). Small: only running jobs are in it.
CREATE INDEX jobs_running_customer ON jobs (customer_id, connector) WHERE status = 'running';
