-- The inbox row is written ONCE, by applyEvent, with its outcome and customer (it was inserted by
-- handoff_accept_event and then updated by applyEvent: a second, non-HOT write, since customer_id is indexed,
-- that touched every index of inbox_events again and left a dead row behind for every event).
--
-- handoff_lock_event is handoff_accept_event without the insert. Dedupe is now a lock and a look:
--   1. Advisory lock on the event's own key ('inbox:' source ':' event id), taken FIRST and alone, then (a new
--      statement, so a new snapshot under READ COMMITTED) is the event already in the inbox? Yes: return NO row
--      (the caller answers "duplicate" and stops). A concurrent delivery of the same event waits here until the
--      first one's transaction ends, then sees its row (or, if it rolled back, records the event itself).
--      Invariant: every writer of inbox_events holds this lock (applyEvent's callers do, through this function);
--      the UNIQUE (source, event_id) constraint stays as the backstop.
--   2-4. As handoff_accept_event (migration 0010): advisory locks on identities and objects in sorted order, the
--      owners of the identities and the newest watermark, the owners row-locked, re-resolved while merging.
-- No deadlock from the extra lock: it is taken before any other and only by deliveries of the same event.
-- handoff_accept_event stays for processes of the previous version during a rolling upgrade.
CREATE FUNCTION handoff_lock_event(
  p_source text, p_event_id text, p_lock_keys text[], p_kinds text[], p_values text[], p_wm_keys text[]
) RETURNS TABLE (watermark bigint, owners jsonb, merging boolean)
LANGUAGE plpgsql VOLATILE AS $$
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
