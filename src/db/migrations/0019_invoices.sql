-- Each Stripe invoice's payment standing, kept by applyEvent (its `invoiced` and `recovered` CTEs) from the invoice
-- events it records, whatever their outcome: the first invoice.payment_failed (its inbox row, when it arrived, its
-- creation second), what the latest failure asked for, the newest payment's creation second, and when the invoice
-- was settled: paid, payment_succeeded, voided or marked_uncollectible, or a payment of the same Stripe customer
-- created at or after the failure (the customer paid a later invoice). Either order of delivery settles it.
-- The payment_not_recovered alert reads the open failures through invoices_open, so its cost follows the failures
-- still open, not the history: it compared every failure in inbox_events with every payment there, every 30 s (an OR
-- in its NOT EXISTS forces a nested loop whatever the statistics): 9.0 s on PostgreSQL and 16 s on PGlite, where every
-- request waits behind it, with 1,000 of each.
-- The customer is the first failure's inbox row's: merges move inbox rows to the survivor, so nothing here moves.
CREATE TABLE invoices (
  id              text PRIMARY KEY,
  stripe_customer text,
  failed_inbox_id bigint REFERENCES inbox_events (id),
  failed_at       timestamptz,
  failed_created  bigint,
  amount_due      jsonb,
  currency        text,
  paid_created    bigint,
  settled_at      timestamptz
);
CREATE INDEX invoices_open ON invoices (failed_at) WHERE settled_at IS NULL AND failed_at IS NOT NULL;
CREATE INDEX invoices_customer_open ON invoices (stripe_customer, failed_created) WHERE settled_at IS NULL AND failed_at IS NOT NULL;
CREATE INDEX invoices_customer_paid ON invoices (stripe_customer, paid_created) WHERE paid_created IS NOT NULL;

-- An existing install: the same standing, read once from the invoice events already recorded (the rule the alert
-- applied to them until now).
INSERT INTO invoices (id, stripe_customer, failed_inbox_id, failed_at, failed_created, amount_due, currency, paid_created, settled_at)
WITH events AS (
  SELECT e.id, e.type, e.received_at,
         e.payload -> 'data' -> 'object' ->> 'id' AS invoice,
         CASE jsonb_typeof(e.payload -> 'data' -> 'object' -> 'customer')
           WHEN 'string' THEN e.payload -> 'data' -> 'object' ->> 'customer'
           WHEN 'object' THEN e.payload -> 'data' -> 'object' -> 'customer' ->> 'id'
         END AS stripe_customer,
         CASE WHEN jsonb_typeof(e.payload -> 'created') = 'number' THEN floor((e.payload ->> 'created')::numeric)::bigint END AS created,
         CASE WHEN jsonb_typeof(e.payload -> 'data' -> 'object' -> 'amount_due') = 'number' THEN e.payload -> 'data' -> 'object' -> 'amount_due' END AS amount_due,
         e.payload -> 'data' -> 'object' ->> 'currency' AS currency
  FROM inbox_events e
  WHERE e.source = 'stripe'
    AND e.type IN ('invoice.payment_failed', 'invoice.paid', 'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible')
), standing AS (
  SELECT invoice,
         (array_agg(stripe_customer ORDER BY id) FILTER (WHERE stripe_customer IS NOT NULL))[1] AS stripe_customer,
         (array_agg(id ORDER BY id) FILTER (WHERE type = 'invoice.payment_failed'))[1] AS failed_inbox_id,
         min(received_at) FILTER (WHERE type = 'invoice.payment_failed') AS failed_at,
         (array_agg(created ORDER BY id) FILTER (WHERE type = 'invoice.payment_failed'))[1] AS failed_created,
         (array_agg(amount_due ORDER BY id DESC) FILTER (WHERE type = 'invoice.payment_failed'))[1] AS amount_due,
         (array_agg(currency ORDER BY id DESC) FILTER (WHERE type = 'invoice.payment_failed'))[1] AS currency,
         max(created) FILTER (WHERE type IN ('invoice.paid', 'invoice.payment_succeeded')) AS paid_created,
         min(received_at) FILTER (WHERE type <> 'invoice.payment_failed') AS closed_at
  FROM events
  WHERE invoice IS NOT NULL AND invoice <> ''
  GROUP BY invoice
)
SELECT s.invoice, s.stripe_customer, s.failed_inbox_id, s.failed_at, s.failed_created, s.amount_due, s.currency, s.paid_created,
       COALESCE(s.closed_at, CASE WHEN s.failed_at IS NOT NULL AND EXISTS (
         SELECT 1 FROM standing p WHERE p.stripe_customer = s.stripe_customer AND p.paid_created >= s.failed_created
       ) THEN now() END)
FROM standing s;
