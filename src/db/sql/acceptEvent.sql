-- Steps 1-2b of record() in one round trip (migration 0010, handoff_accept_event): dedupe the inbox row, take
-- the advisory locks ($6, sorted), resolve the owners of the identities ($7 kinds, $8 values) and the newest
-- watermark of the objects ($9), row-lock the owners. No row: a duplicate delivery.
SELECT inbox_id, watermark, owners, merging
FROM handoff_accept_event($1::text, $2::text, $3::text, $4::timestamptz, $5::jsonb, $6::text[], $7::text[], $8::text[], $9::text[])
