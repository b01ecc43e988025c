SELECT max(created) AS created FROM watermarks WHERE object_key = ANY($1::text[])
