-- Dashboard "/": live customers per lifecycle state, with how many of them need support.
SELECT lifecycle, count(*)::integer AS n, (count(*) FILTER (WHERE support = 'needs_support'))::integer AS needs_support
FROM customers
WHERE merged_into IS NULL
GROUP BY lifecycle
