-- Stripe invoices whose first invoice.payment_failed is older than $1 ms with nothing since that settles
-- them: no invoice.paid / payment_succeeded / voided / marked_uncollectible for the invoice, no later
-- invoice.paid for the same Stripe customer, and the customer still past_due in Handoff.
WITH failed AS (
  SELECT payload->'data'->'object'->>'id' AS invoice,
         min(payload->'data'->'object'->>'customer') AS stripe_customer,
         min(received_at) AS failed_at,
         min((payload->>'created')::bigint) AS created,
         (array_agg(customer_id ORDER BY received_at))[1] AS customer_id,
         (array_agg(payload->'data'->'object'->'amount_due' ORDER BY received_at DESC))[1] AS amount_due,
         (array_agg(payload->'data'->'object'->>'currency' ORDER BY received_at DESC))[1] AS currency
  FROM inbox_events
  WHERE source = 'stripe' AND type = 'invoice.payment_failed'
  GROUP BY 1
), live AS (
  -- Merges move inbox events to the surviving customer, so customer_id is the live record.
  SELECT f.*, c.email, c.lifecycle
  FROM failed f
  LEFT JOIN customers c ON c.id = f.customer_id
  WHERE f.invoice IS NOT NULL AND f.failed_at < now() - ($1::integer * interval '1 millisecond')
)
SELECT invoice, stripe_customer, failed_at, customer_id, email, amount_due, currency
FROM live
WHERE (lifecycle IS NULL OR lifecycle = 'past_due')
  AND NOT EXISTS (
    SELECT 1 FROM inbox_events s
    WHERE s.source = 'stripe'
      AND s.type IN ('invoice.paid', 'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible')
      AND (s.payload->'data'->'object'->>'id' = live.invoice
           OR (s.type IN ('invoice.paid', 'invoice.payment_succeeded')
               AND s.payload->'data'->'object'->>'customer' = live.stripe_customer
               AND (s.payload->>'created')::bigint >= live.created))
  )
ORDER BY failed_at
LIMIT 100
