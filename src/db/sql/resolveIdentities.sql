-- Step 2 of record(), after the advisory locks: which customers own any of the event's identities
-- ($1 kinds, $2 values), and the newest watermark of the objects it describes ($3). The watermark is
-- exact here because step 1 holds the objects' locks. Always one row.
SELECT
  COALESCE(array_agg(DISTINCT i.customer_id), '{}'::text[]) AS owner_ids,
  (SELECT max(created) FROM watermarks WHERE object_key = ANY($3::text[])) AS watermark
FROM identities i
JOIN unnest($1::text[], $2::text[]) AS want(kind, value) ON want.kind = i.kind AND want.value = i.value
