-- The founder dashboard (src/dashboard): server-side sessions, and the indexes its pages read through.
-- Append-only: never edit a released migration; add the next number.

-- One row per login. The browser holds a random session id; only its SHA-256 is stored, so whoever reads
-- this table cannot ride a session. A session ends at expires_at, when revoked (logout), or when the
-- admin token it was opened with is rotated (token_fp no longer matches).
CREATE TABLE dashboard_sessions (
  id_hash    text PRIMARY KEY,
  -- A short keyed fingerprint of HANDOFF_ADMIN_TOKEN at login (never the token, never its plain hash).
  token_fp   text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- /customers: live customers newest first, one page at a time; the funnel's cohort (first seen in 30 days).
CREATE INDEX customers_created ON customers (created_at DESC, id DESC) WHERE merged_into IS NULL;
-- /customers?q=: an email by its beginning (LIKE 'jane@ex%'), whatever the database's collation.
CREATE INDEX customers_email_prefix ON customers (lower(email) text_pattern_ops) WHERE merged_into IS NULL;
-- /customers?q= and every lookup by reference (findCustomerRef): a linked id by its value alone (cus_…,
-- a user id), without knowing its kind; the primary key (kind, value) cannot serve that.
CREATE INDEX identities_value ON identities (value);

-- "/" and /jobs: jobs that finished recently (delivered per day, done and skipped per connector this week).
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('done', 'skipped');
-- "/": a delivery that needed an operator's retry is not "automated"; retries are rare, the index is small.
CREATE INDEX timeline_retried_job ON timeline ((detail ->> 'job_id')) WHERE kind = 'retry';
-- "/": the funnel's milestones per customer (a trial, a payment, a support request) without reading the
-- rest of each customer's timeline.
CREATE INDEX timeline_milestones ON timeline (customer_id) WHERE to_state IN ('trial', 'paid') OR rule = 'support_needed';

-- /events needs no index of its own: its pages scan bounded primary-key ranges; its type list reads
-- inbox_events_type (source, type, received_at) from migration 0005.
