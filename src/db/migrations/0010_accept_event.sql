-- record()'s first three steps in ONE round trip (they were three statements, each a round trip, and on PGlite
-- each parsed and planned anew). Behaviour is the statements' own, in order:
--   1. Dedupe: insert the inbox row; a (source, event_id) already present returns NO row (the caller answers
--      "duplicate" and stops).
--   2. Advisory locks on the event's identities and objects (p_lock_keys), taken in sorted order (no deadlocks),
--      serialising every event that touches the same customer or object.
--   3. After the locks (a new statement, so a new snapshot under READ COMMITTED): which customers own any of the
--      event's identities, and the newest watermark of the objects it describes (exact: the objects are locked).
--   4. Row-lock those owners in id order (NO KEY UPDATE: writers serialise, foreign-key checks on the customer
--      are not blocked) and return their latest committed state. If one was merged while we waited, resolve
--      again; after 5 rounds `merging` is true and `owners` NULL (the caller fails the delivery, to be retried).
-- Returns one row (inbox_id, watermark, owners jsonb array of customer rows ordered by id, merging).
CREATE FUNCTION handoff_accept_event(
  p_source text, p_event_id text, p_type text, p_occurred_at timestamptz, p_payload jsonb,
  p_lock_keys text[], p_kinds text[], p_values text[], p_wm_keys text[]
) RETURNS TABLE (inbox_id bigint, watermark bigint, owners jsonb, merging boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_owner_ids text[];
BEGIN
  INSERT INTO inbox_events (source, event_id, type, occurred_at, payload)
  VALUES (p_source, p_event_id, p_type, p_occurred_at, p_payload)
  ON CONFLICT (source, event_id) DO NOTHING
  RETURNING id INTO inbox_id;
  IF inbox_id IS NULL THEN
    RETURN;
  END IF;
  PERFORM count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM (SELECT k FROM unnest(p_lock_keys) AS k ORDER BY k) AS sorted;
  merging := false;
  FOR attempt IN 1..5 LOOP
    SELECT COALESCE(array_agg(DISTINCT i.customer_id), '{}'::text[]) INTO v_owner_ids
    FROM identities i
    JOIN unnest(p_kinds, p_values) AS want(kind, value) ON want.kind = i.kind AND want.value = i.value;
    SELECT max(w.created) INTO watermark FROM watermarks w WHERE w.object_key = ANY(p_wm_keys);
    SELECT COALESCE(jsonb_agg(to_jsonb(c) ORDER BY c.id), '[]'::jsonb) INTO owners
    FROM (
      SELECT id, email, name, lifecycle, support, merged_into, created_at
      FROM customers
      WHERE id = ANY(v_owner_ids)
      ORDER BY id
      FOR NO KEY UPDATE
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
