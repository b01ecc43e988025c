-- Alert rules: incidents (state and history), the evaluator's leader row, webhook outcome counts per
-- time bucket (the failure-rate rule, shared by every web process) and uptime probe state.

-- Alert messages are outbox jobs that belong to no customer.
ALTER TABLE jobs ALTER COLUMN customer_id DROP NOT NULL;

-- One row per incident: opened when a rule's condition starts to hold for a subject, resolved when it
-- stops. At most ONE open incident per (rule, subject): the partial unique index is what guarantees a
-- single "opened" message even if two evaluators ever raced.
CREATE TABLE alert_incidents (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule        text NOT NULL,
  -- '' for a rule-wide incident; else the connector, URL or invoice the incident is about.
  subject     text NOT NULL DEFAULT '',
  title       text NOT NULL,
  summary     text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  opened_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (rule, subject) WHERE resolved_at IS NULL;
CREATE INDEX alert_incidents_recent ON alert_incidents (opened_at DESC);

-- The evaluator leader: whoever evaluated last, and when. Another process takes over only when the
-- leader has not evaluated for a while (it stopped or died). Written under an advisory lock.
CREATE TABLE alert_evaluator (
  id           integer PRIMARY KEY CHECK (id = 1),
  evaluated_by text NOT NULL,
  evaluated_at timestamptz NOT NULL
);

-- Webhook requests per time bucket, source and outcome (accepted, duplicate, rejected_signature,
-- invalid, error), added by every web process every few seconds. Old buckets are pruned by the evaluator.
CREATE TABLE webhook_stats (
  bucket  timestamptz NOT NULL,
  source  text NOT NULL,
  outcome text NOT NULL,
  n       integer NOT NULL,
  PRIMARY KEY (bucket, source, outcome)
);

-- One row per URL in UPTIME_URLS. A probe is claimed by moving next_check_at forward, so however many
-- processes run, each URL is probed once per interval and consecutive failures count real probes.
CREATE TABLE uptime_checks (
  url                  text PRIMARY KEY,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_result          text,
  last_checked_at      timestamptz,
  next_check_at        timestamptz NOT NULL DEFAULT now()
);

-- The "expected event missing" rule looks up Stripe invoice events by type.
CREATE INDEX inbox_events_type ON inbox_events (source, type, received_at);
