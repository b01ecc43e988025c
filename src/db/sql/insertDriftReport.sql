-- Reconcile: one run's report and its entries, together. $1 id, $2 trigger, $3 fix, $4 run_by,
-- $5 started_at, $6 finished_at, $7 customers checked, $8 drift count, $9 fixed count, $10 providers,
-- $11 errors, $12 entries (jsonb array, in order), $13 partial.
WITH report AS (
  INSERT INTO drift_reports (id, trigger, fix, run_by, started_at, finished_at, customers_checked, drift_count, fixed_count, providers, errors, partial)
  VALUES ($1::text, $2::text, $3::boolean, $4::text, $5::timestamptz, $6::timestamptz, $7::integer, $8::integer, $9::integer, $10::jsonb, $11::jsonb, $13::boolean)
  RETURNING id
)
INSERT INTO drift_entries (report_id, n, customer_id, email, provider, field, handoff_value, provider_value,
                           handoff_since, provider_since, cause, explanation, fix)
SELECT report.id, e.ord::integer, e.v ->> 'customerId', e.v ->> 'email', e.v ->> 'provider', e.v ->> 'field',
       e.v ->> 'handoffValue', e.v ->> 'providerValue', (e.v ->> 'handoffSince')::timestamptz,
       (e.v ->> 'providerSince')::timestamptz, e.v ->> 'cause', e.v ->> 'explanation',
       CASE WHEN jsonb_typeof(e.v -> 'fix') = 'object' THEN e.v -> 'fix' END
FROM report, jsonb_array_elements($12::jsonb) WITH ORDINALITY AS e(v, ord)
