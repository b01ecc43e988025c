-- Backfill (src/backfill): resumable runs that read Stripe's API and record synthetic events.
-- Append-only: never edit a released migration; add the next number.

-- One row per run. At most one open run per source: a new `handoff backfill` resumes it (--restart
-- abandons it). `owner` (host:pid) and `heartbeat_at` tell a live run from one whose process died.
CREATE TABLE backfill_runs (
  id           text PRIMARY KEY,
  source       text NOT NULL CHECK (source IN ('stripe')),
  -- running | interrupted (stopped on request) | failed (error says why) | done | abandoned (--restart)
  status       text NOT NULL CHECK (status IN ('running', 'interrupted', 'failed', 'done', 'abandoned')),
  -- Invoices created at or after this are read; customers and subscriptions are read whatever their age.
  since        timestamptz NOT NULL,
  sync_crm     boolean NOT NULL DEFAULT false,
  owner        text NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  -- Cumulative tallies per kind ({"subscriptions": {"seen": 3, "applied": 2, …}, "customersCreated": 1, …}).
  counts       jsonb NOT NULL DEFAULT '{}',
  -- Why it failed (never a credential).
  error        text,
  started_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE UNIQUE INDEX backfill_runs_one_open ON backfill_runs (source) WHERE status IN ('running', 'interrupted', 'failed');
CREATE INDEX backfill_runs_recent ON backfill_runs (started_at DESC);

-- Per object kind of a run: the last object finished (Stripe's `starting_after` to resume with; for the
-- CRM phase the last Handoff customer id) and whether the kind is complete.
CREATE TABLE backfill_cursors (
  run_id         text NOT NULL REFERENCES backfill_runs (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('customers', 'subscriptions', 'invoices', 'crm')),
  starting_after text,
  done           boolean NOT NULL DEFAULT false,
  seen           integer NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (run_id, kind)
);
