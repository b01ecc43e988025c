-- The owner lock and the watermark look in handoff_lock_event become primary-key probes at every table size, as
-- migration 0015 made the identity lookup. Both filtered with `= ANY($array)`, and the generic plan (kept per
-- connection) guesses 10 elements: on an analysed table of roughly 500-2,000 rows, ten index probes look dearer
-- than one scan, so every event's owner lock read the whole customers table while a new installation grew through
-- that range (measured: 128 µs of the accept step's ~330 µs per event at 1,225 customers; auto_explain showed
-- `Seq Scan on customers`). Each owner id and each watermark key is now its own probe (a LATERAL subquery with
-- LIMIT 1 is not flattened into a join; both columns are the table's key, so LIMIT 1 drops nothing).
-- Invariant kept: the owners are row-locked one by one in id order (the sorted outer list drives the probes),
-- so two events naming the same customers cannot deadlock on them.
-- Otherwise the function is migration 0015's.
CREATE OR REPLACE FUNCTION handoff_lock_event(
  p_source text, p_event_id text, p_lock_keys text[], p_kinds text[], p_values text[], p_wm_keys text[]
) RETURNS TABLE (watermark bigint, owners jsonb, merging boolean)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_owner_ids text[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('inbox:' || p_source || ':' || p_event_id, 0));
  IF EXISTS (SELECT 1 FROM inbox_events i WHERE i.source = p_source AND i.event_id = p_event_id) THEN
    RETURN;
  END IF;
  PERFORM count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM (SELECT k FROM unnest(p_lock_keys) AS k ORDER BY k) AS sorted;
  merging := false;
  FOR attempt IN 1..5 LOOP
    SELECT COALESCE(array_agg(DISTINCT o.customer_id), '{}'::text[]) INTO v_owner_ids
    FROM unnest(p_kinds, p_values) AS want(kind, value)
    CROSS JOIN LATERAL (
      SELECT i.customer_id FROM identities i WHERE i.kind = want.kind AND i.value = want.value LIMIT 1
    ) AS o;
    SELECT max(w.created) INTO watermark
    FROM unnest(p_wm_keys) AS want(object_key)
    CROSS JOIN LATERAL (SELECT m.created FROM watermarks m WHERE m.object_key = want.object_key LIMIT 1) AS w;
    SELECT COALESCE(jsonb_agg(to_jsonb(c) ORDER BY c.id), '[]'::jsonb) INTO owners
    FROM (
      SELECT cu.id, cu.email, cu.name, cu.lifecycle, cu.support, cu.merged_into, cu.created_at
      FROM (SELECT DISTINCT u.id FROM unnest(v_owner_ids) AS u(id) ORDER BY u.id) AS want
      CROSS JOIN LATERAL (
        SELECT id, email, name, lifecycle, support, merged_into, created_at
        FROM customers
        WHERE customers.id = want.id
        LIMIT 1
        FOR NO KEY UPDATE
      ) AS cu
    ) AS c;
    IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(owners) AS o WHERE o->>'merged_into' IS NOT NULL) THEN
      RETURN NEXT;
      RETURN;
    END IF;
  END LOOP;
  owners := NULL;
  merging := true;
  RETURN NEXT;
END
$$;
