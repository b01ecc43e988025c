-- First statement of a chatbot decision's transaction: the advisory locks on the request's identities
-- (`id:<kind>:<value>`, the very keys record() takes for the effect's event, in the same sorted order), so
-- concurrent requests for one customer are counted against the rate limit one after the other, and the
-- effect's own acceptInboxEvent re-takes locks this transaction already holds (no new wait, no deadlock).
SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))::integer AS locked
FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS sorted
