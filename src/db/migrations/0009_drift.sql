-- Reconcile (src/reconcile): drift reports, their entries, and the scheduled run's slot.
-- Append-only: never edit a released migration; add the next number.

-- One row per reconcile run (CLI, admin API or the schedule). GET /api/drift shows the newest.
CREATE TABLE drift_reports (
  id                text PRIMARY KEY,
  -- cli | api | schedule
  trigger           text NOT NULL CHECK (trigger IN ('cli', 'api', 'schedule')),
  fix               boolean NOT NULL DEFAULT false,
  -- True when --customer or --limit left customers out: such a report never clears the drift alert.
  partial           boolean NOT NULL DEFAULT false,
  -- The process that ran it (the schedule's worker id, or 'cli' / 'api').
  run_by            text NOT NULL,
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz NOT NULL,
  customers_checked integer NOT NULL,
  -- Entries found, and those healed by --fix (drift left = drift_count - fixed_count).
  drift_count       integer NOT NULL,
  fixed_count       integer NOT NULL DEFAULT 0,
  -- Providers compared ({"stripe": true, "hubspot": false, …}) and why one could not be read (never a credential).
  providers         jsonb NOT NULL DEFAULT '{}',
  errors            jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX drift_reports_recent ON drift_reports (finished_at DESC);

-- What differed, per customer and field, with since-when and the likely cause.
CREATE TABLE drift_entries (
  report_id      text NOT NULL REFERENCES drift_reports (id) ON DELETE CASCADE,
  n              integer NOT NULL,
  customer_id    text NOT NULL REFERENCES customers (id),
  email          text,
  -- stripe | hubspot | zendesk
  provider       text NOT NULL,
  field          text NOT NULL,
  handoff_value  text,
  provider_value text,
  handoff_since  timestamptz,
  provider_since timestamptz,
  -- missed_webhook | manual_crm_edit | failed_job | never_synced | unknown
  cause          text NOT NULL,
  explanation    text NOT NULL,
  -- What --fix did (or why it could not), null when not fixing.
  fix            jsonb,
  PRIMARY KEY (report_id, n)
);
CREATE INDEX drift_entries_customer ON drift_entries (customer_id);

-- The scheduled run's slot. A worker claims a due run (under an advisory lock) by setting running_by /
-- running_until; nobody else claims while that lease lasts, so however many workers run, one reconciles
-- at a time. The run's end frees the slot and sets the next run one interval later; a worker that died
-- mid-run is replaced when its lease ends.
CREATE TABLE reconcile_schedule (
  id            integer PRIMARY KEY CHECK (id = 1),
  next_run_at   timestamptz NOT NULL,
  running_by    text,
  running_until timestamptz,
  last_run_by   text,
  last_run_at   timestamptz
);
