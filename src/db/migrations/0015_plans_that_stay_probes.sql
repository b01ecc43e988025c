-- Plans that stay primary-key probes however small the table was when a connection first planned them.
-- PostgreSQL (and PL/pgSQL, for the statements inside a function) keeps a generic plan per connection and
-- plans again only when the table's statistics change: a plan made on a new, empty database could read the
-- whole table on every event for as long as the connection lived (PostgreSQL: until autovacuum's ANALYZE;
-- PGlite, which has no autovacuum: for the life of the process). Measured on a new PostgreSQL database, per
-- event over the first 3,000-4,000 events, growing with the table: the dedupe look 158-436 µs, the identity
-- lookup 112-151 µs; both now under 10 µs.
--
-- 1. inbox_events_type was (source, type, received_at). The dedupe look in handoff_lock_event
--    (source = $1 AND event_id = $2) must go through UNIQUE (source, event_id); on an empty table the two
--    indexes cost the same and the planner took inbox_events_type (source its only index condition, event_id a
--    filter): each event then read every Stripe event before it. With type leading, a query that constrains
--    only the source (this look, findCustomerStripeMode, listReconcileCustomers) cannot use this index at all;
--    its users name both type and source (alertPaymentsNotRecovered) or walk it in its order (listInboxTypes).
--    Building it blocks writes to inbox_events while it runs (seconds per million events).
CREATE INDEX inbox_events_type_source ON inbox_events (type, source, received_at);
DROP INDEX inbox_events_type;

-- 2. handoff_lock_event's identity lookup joined identities to the unnested (kind, value) pairs: the generic
--    plan guesses 10 pairs and, on a small table, hashed a sequential scan of identities. Each pair is now its
--    own probe of identities_pkey (a LATERAL subquery with LIMIT 1 is not flattened into a join; (kind, value)
--    is the key, so LIMIT 1 drops nothing).
-- 3. The function's statements are planned once per connection (plan_cache_mode = force_generic_plan). By
--    default PL/pgSQL re-planned the owners and identity lookups on every call (their custom plans, knowing the
--    array lengths, always looked cheaper): 34 + 88 µs of planning per event. Every statement in it is now a
--    key probe whatever the table's size, so its generic plan is the right one. Per call, measured by pgbench
--    on one connection: 188 -> 74 µs.
-- Otherwise the function is migration 0012's.
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
