-- jobs_status indexed every job by (status, connector), including the done and skipped ones: the bulk of the
-- table, never looked up by that index (their queries go through jobs_finished). Now only open and dead jobs are in
-- it, so completing a job (running -> done) and recording a skipped one write one index entry fewer. Queries
-- filtering on status = 'pending' / 'running' / 'dead' or IN lists of them use it as before.
CREATE INDEX jobs_open_status ON jobs (status, connector) WHERE status IN ('pending', 'running', 'dead');
DROP INDEX jobs_status;
