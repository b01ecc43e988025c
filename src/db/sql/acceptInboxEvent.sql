-- Step 1 of record(): the dedupe point and the locks, in one round trip.
-- A (source, event_id) already present returns no row: the caller answers "duplicate" and stops.
-- Otherwise the advisory locks on the event's identities and objects ($6, any order) are taken in
-- sorted order (no deadlocks), serialising every event that touches the same customer or object.
WITH ins AS (
  INSERT INTO inbox_events (source, event_id, type, occurred_at, payload)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (source, event_id) DO NOTHING
  RETURNING id
), locks AS (
  SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS n
  FROM (SELECT k FROM unnest($6::text[]) AS k ORDER BY k) AS sorted
  WHERE EXISTS (SELECT 1 FROM ins)
)
SELECT ins.id, locks.n AS locked FROM ins, locks
