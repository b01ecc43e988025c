-- After lockChatbotKeys: the live customer the request's identities name now (the oldest, if several), and
-- how many chatbot actions were EXECUTED for them (records merged into them included) since $3.
--   $1 identity kinds  $2 identity values  $3 window start
WITH RECURSIVE direct AS (
  SELECT DISTINCT i.customer_id AS id
  FROM identities i JOIN unnest($1::text[], $2::text[]) AS t(kind, value) ON i.kind = t.kind AND i.value = t.value
), owners (id) AS (
  SELECT id FROM direct
  UNION
  -- Per owner, an index probe (customers_merged_into; OFFSET 0 keeps the subquery per row): a set join scanned
  -- every customer at each step.
  SELECT c.id FROM owners o CROSS JOIN LATERAL (SELECT id FROM customers WHERE merged_into = o.id OFFSET 0) AS c
)
SELECT (SELECT c.id FROM customers c JOIN direct d ON d.id = c.id WHERE c.merged_into IS NULL ORDER BY c.created_at, c.id LIMIT 1) AS customer_id,
       (SELECT count(*) FROM chatbot_decisions x
        WHERE x.customer_id IN (SELECT id FROM owners) AND x.decision = 'executed' AND x.created_at > $3::timestamptz)::integer AS recent
