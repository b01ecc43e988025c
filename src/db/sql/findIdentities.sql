SELECT i.kind, i.value, i.customer_id
FROM identities i
JOIN unnest($1::text[], $2::text[]) AS want(kind, value) ON want.kind = i.kind AND want.value = i.value
