-- Each Stripe subscription's last known status, by customer (events/stripe.ts `subscription`). A customer may pay
-- for several subscriptions (a second product, an add-on sold as its own subscription): when one ends, the state
-- table churns the customer only if none of the others is still live (rule subscription_ended_others_live, condition
-- another_subscription_live). `created` is the reporting Stripe event's creation second: a status only moves
-- forward, as watermarks do. Merges move the rows to the survivor (moveSubscriptions).
CREATE TABLE subscriptions (
  id          text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  status      text NOT NULL,
  created     bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

-- An existing install: each subscription's newest status among the Stripe subscription events already recorded
-- (their inbox rows name the customer they were applied to; merges moved those rows to the survivor).
INSERT INTO subscriptions (id, customer_id, status, created)
SELECT DISTINCT ON (s.sub_id) s.sub_id, s.customer_id, s.status, s.created
FROM (
  SELECT e.id, e.customer_id, e.payload -> 'data' -> 'object' ->> 'id' AS sub_id,
         CASE WHEN e.type = 'customer.subscription.deleted' THEN 'canceled' ELSE e.payload -> 'data' -> 'object' ->> 'status' END AS status,
         CASE WHEN jsonb_typeof(e.payload -> 'created') = 'number' THEN floor((e.payload ->> 'created')::numeric)::bigint END AS created
  FROM inbox_events e
  WHERE e.type IN ('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted')
    AND e.source = 'stripe' AND e.customer_id IS NOT NULL
) AS s
WHERE s.sub_id IS NOT NULL AND s.status IS NOT NULL AND s.created IS NOT NULL
ORDER BY s.sub_id, s.created DESC, s.id DESC;
