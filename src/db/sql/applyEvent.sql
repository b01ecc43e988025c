-- Step 3 of record(): every write of one event in ONE statement. Data-modifying CTEs all run to
-- completion, share one snapshot and write disjoint rows; foreign keys are checked at the statement's end.
--   $1 customer id (NULL: the event has no customer)  $2 email  $3 name  $4 lifecycle  $5 support
--   $6 now  $7 is the customer new  $8/$9 identity kinds/values
--   $10 watermark keys (empty: none)  $11 watermark created  $12 the sender's event id
--   $13 timeline rows (jsonb array)  $14 jobs (jsonb array)  $15 max attempts
--   $16 source  $17 sender's event type  $18 occurred at  $19 payload  $20 outcome  $21 outcome reason
--   $22/$23 the Stripe subscription the event reports and its status (NULL: none)  $24 the event's creation second
--   $25 the Stripe invoice the event reports (NULL: none)  $26 its Stripe customer  $27 failed | paid | closed
--   $28 the amount a failure asks for (jsonb)  $29 its currency
-- The inbox row is written here, once, final (migration 0012): the caller holds the event's lock and found no row.
-- Returns the inbox id and how many jobs were queued as pending. No NOTIFY in here: the caller wakes dispatchers
-- after the commit (db/notify.ts says why).
WITH inboxed AS (
  INSERT INTO inbox_events (source, event_id, type, occurred_at, payload, outcome, outcome_reason, customer_id)
  VALUES ($16::text, $12::text, $17::text, $18::timestamptz, $19::jsonb, $20::text, $21::text, $1::text)
  RETURNING id, received_at
), new_customer AS (
  INSERT INTO customers (id, email, name, lifecycle, support, created_at, updated_at)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $6::timestamptz WHERE $7::boolean AND $1::text IS NOT NULL
), changed_customer AS (
  -- Email fills a gap only (further addresses are identities); a newer name wins; neither is cleared.
  UPDATE customers
  SET lifecycle = $4::text, support = $5::text, email = COALESCE(email, $2::text), name = COALESCE($3::text, name), updated_at = $6::timestamptz
  WHERE id = $1::text AND NOT $7::boolean
), linked AS (
  INSERT INTO identities (kind, value, customer_id)
  SELECT kind, value, $1::text FROM unnest($8::text[], $9::text[]) AS t(kind, value) WHERE $1::text IS NOT NULL
  ON CONFLICT (kind, value) DO NOTHING
), marked AS (
  -- Watermarks only move forward.
  INSERT INTO watermarks (object_key, created, event_id)
  SELECT k, $11::bigint, $12::text FROM unnest($10::text[]) AS k
  ON CONFLICT (object_key) DO UPDATE SET created = EXCLUDED.created, event_id = EXCLUDED.event_id
  WHERE watermarks.created < EXCLUDED.created
), subscribed AS (
  -- A subscription's status moves forward only; recorded whatever the event's outcome (a stale event for the
  -- customer may still be the newest word on its own subscription).
  INSERT INTO subscriptions (id, customer_id, status, created, updated_at)
  SELECT $22::text, $1::text, $23::text, $24::bigint, $6::timestamptz WHERE $1::text IS NOT NULL AND $22::text IS NOT NULL
  ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, created = EXCLUDED.created, updated_at = EXCLUDED.updated_at
  WHERE subscriptions.created <= EXCLUDED.created
), invoiced AS (
  -- The invoice's payment standing (migration 0019), whatever the event's outcome. A failure is settled at once when
  -- the customer already paid at or after it (Stripe delivered the payment first); the first failure stays the one
  -- the alert dates, the latest says what is owed, a settlement is never undone.
  INSERT INTO invoices AS i (id, stripe_customer, failed_inbox_id, failed_at, failed_created, amount_due, currency, paid_created, settled_at)
  SELECT $25::text, $26::text,
         CASE WHEN k.failed THEN inboxed.id END,
         CASE WHEN k.failed THEN inboxed.received_at END,
         CASE WHEN k.failed THEN $24::bigint END,
         CASE WHEN k.failed THEN $28::jsonb END,
         CASE WHEN k.failed THEN $29::text END,
         CASE WHEN $27::text = 'paid' THEN $24::bigint END,
         CASE WHEN NOT k.failed
                OR EXISTS (SELECT 1 FROM invoices p WHERE p.stripe_customer = $26::text AND p.paid_created >= $24::bigint)
              THEN inboxed.received_at END
  FROM inboxed, (SELECT $27::text = 'failed' AS failed) AS k
  WHERE $25::text IS NOT NULL
  ON CONFLICT (id) DO UPDATE SET
    stripe_customer = COALESCE(i.stripe_customer, EXCLUDED.stripe_customer),
    failed_inbox_id = COALESCE(i.failed_inbox_id, EXCLUDED.failed_inbox_id),
    failed_at = COALESCE(i.failed_at, EXCLUDED.failed_at),
    failed_created = COALESCE(i.failed_created, EXCLUDED.failed_created),
    amount_due = CASE WHEN EXCLUDED.failed_at IS NULL THEN i.amount_due ELSE EXCLUDED.amount_due END,
    currency = CASE WHEN EXCLUDED.failed_at IS NULL THEN i.currency ELSE EXCLUDED.currency END,
    paid_created = GREATEST(i.paid_created, EXCLUDED.paid_created),
    settled_at = COALESCE(i.settled_at, EXCLUDED.settled_at)
), recovered AS (
  -- A payment settles the customer's failures created at or before it on their other invoices too (this invoice's
  -- own row is invoiced's: a statement writes each row once).
  UPDATE invoices SET settled_at = inboxed.received_at
  FROM inboxed
  WHERE $27::text = 'paid' AND invoices.stripe_customer = $26::text AND invoices.id <> $25::text
    AND invoices.settled_at IS NULL AND invoices.failed_at IS NOT NULL AND invoices.failed_created <= $24::bigint
), explained AS (
  INSERT INTO timeline (customer_id, inbox_id, at, kind, from_state, to_state, rule, detail)
  SELECT $1::text, inboxed.id, $6::timestamptz, t.kind, t.from_state, t.to_state, t.rule, COALESCE(t.detail, '{}'::jsonb)
  FROM inboxed, jsonb_to_recordset($13::jsonb) AS t(kind text, from_state text, to_state text, rule text, detail jsonb)
  WHERE $1::text IS NOT NULL
), queued AS (
  -- A key already queued (same cause) is skipped: re-recording an effect is harmless.
  INSERT INTO jobs (connector, kind, idempotency_key, customer_id, inbox_id, payload, status, max_attempts, result, finished_at)
  SELECT j.connector, j.kind, j.idempotency_key, $1::text, inboxed.id, j.payload, j.status, $15::integer,
         CASE WHEN j.reason IS NOT NULL THEN jsonb_build_object('skipped', j.reason) END,
         CASE WHEN j.status = 'skipped' THEN $6::timestamptz END
  FROM inboxed, jsonb_to_recordset($14::jsonb) AS j(connector text, kind text, idempotency_key text, payload jsonb, status text, reason text)
  WHERE $1::text IS NOT NULL
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING status
), pending AS (
  SELECT count(*)::integer AS n FROM queued WHERE status = 'pending'
)
SELECT (SELECT id FROM inboxed) AS inbox_id, pending.n AS queued
FROM pending
