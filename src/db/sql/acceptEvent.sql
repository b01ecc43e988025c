-- Steps 1-2b of record() in one round trip (migration 0012, handoff_lock_event): lock the event's own key and
-- dedupe against the inbox, take the advisory locks ($3, sorted), resolve the owners of the identities ($4 kinds,
-- $5 values) and the newest watermark of the objects ($6), row-lock the owners. Writes nothing.
-- No row: a duplicate delivery.
SELECT watermark, owners, merging
FROM handoff_lock_event($1::text, $2::text, $3::text[], $4::text[], $5::text[], $6::text[])
