-- Handoff schema v1. Append-only: never edit a released migration; add the next number.

CREATE TABLE customers (
  id          text PRIMARY KEY,
  email       text,
  name        text,
  lifecycle   text NOT NULL DEFAULT 'lead' CHECK (lifecycle IN ('lead', 'trial', 'paid', 'past_due', 'churned')),
  support     text NOT NULL DEFAULT 'none' CHECK (support IN ('none', 'needs_support')),
  -- Set when this record was merged into another; all lookups follow it.
  merged_into text REFERENCES customers (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_lifecycle ON customers (lifecycle) WHERE merged_into IS NULL;

-- One row per external identity; (kind, value) belongs to exactly one live customer.
CREATE TABLE identities (
  kind        text NOT NULL,
  value       text NOT NULL,
  customer_id text NOT NULL REFERENCES customers (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

-- Every verified event, exactly once per (source, event_id). Payload kept for trace and replay.
CREATE TABLE inbox_events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source         text NOT NULL,
  event_id       text NOT NULL,
  type           text NOT NULL,
  occurred_at    timestamptz NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  -- applied: changed state or queued effects; stale: older than a watermark; ignored: no rule applies
  outcome        text NOT NULL DEFAULT 'received' CHECK (outcome IN ('received', 'applied', 'stale', 'ignored')),
  outcome_reason text,
  customer_id    text REFERENCES customers (id),
  payload        jsonb NOT NULL,
  UNIQUE (source, event_id)
);
CREATE INDEX inbox_events_customer ON inbox_events (customer_id);
CREATE INDEX inbox_events_received ON inbox_events (received_at);

-- Per source object (Stripe subscription, customer, …): the newest sender `created` applied so far.
CREATE TABLE watermarks (
  object_key text PRIMARY KEY,
  created    bigint NOT NULL,
  event_id   text NOT NULL
);

-- The explanation of every change: which event caused it and which rule decided it.
CREATE TABLE timeline (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  inbox_id    bigint REFERENCES inbox_events (id),
  at          timestamptz NOT NULL DEFAULT now(),
  kind        text NOT NULL,
  from_state  text,
  to_state    text,
  rule        text,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_customer ON timeline (customer_id, id);

-- The transactional outbox. idempotency_key is derived from the cause; a job never runs twice in effect.
CREATE TABLE jobs (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connector       text NOT NULL,
  kind            text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  customer_id     text NOT NULL REFERENCES customers (id),
  inbox_id        bigint REFERENCES inbox_events (id),
  payload         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'skipped', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL,
  run_at          timestamptz NOT NULL DEFAULT now(),
  locked_by       text,
  locked_until    timestamptz,
  last_error      text,
  result          jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_customer ON jobs (customer_id);
CREATE INDEX jobs_status ON jobs (status, connector);

-- API keys are stored as SHA-256 hashes; the key itself is shown once at creation.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     text NOT NULL UNIQUE,
  scopes       text[] NOT NULL,
  -- The key from HANDOFF_API_KEY (or generated for a development run): only the current one is live.
  is_bootstrap boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  last_used_at timestamptz
);

-- Dispatcher heartbeats, for /api/ready and the doctor.
CREATE TABLE workers (
  id           text PRIMARY KEY,
  role         text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
