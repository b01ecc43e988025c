-- Callers hold the identity locks, so a conflict can only be the same customer's existing row.
INSERT INTO identities (kind, value, customer_id)
SELECT kind, value, $3 FROM unnest($1::text[], $2::text[]) AS t(kind, value)
ON CONFLICT (kind, value) DO NOTHING
