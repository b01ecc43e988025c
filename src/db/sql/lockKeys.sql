-- Serialises transactions touching the same identities/objects; keys arrive sorted so locks never deadlock.
SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS sorted
