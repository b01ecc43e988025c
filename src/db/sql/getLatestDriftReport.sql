-- Reconcile: the newest report with its entries in order (no row when none was ever stored).
SELECT r.id, r.trigger, r.fix, r.run_by, r.started_at, r.finished_at, r.customers_checked, r.drift_count,
       r.fixed_count, r.partial, r.providers, r.errors,
       COALESCE((SELECT jsonb_agg(jsonb_build_object(
                   'customerId', e.customer_id, 'email', e.email, 'provider', e.provider, 'field', e.field,
                   'handoffValue', e.handoff_value, 'providerValue', e.provider_value,
                   'handoffSince', e.handoff_since, 'providerSince', e.provider_since,
                   'cause', e.cause, 'explanation', e.explanation, 'fix', e.fix) ORDER BY e.n)
                 FROM drift_entries e WHERE e.report_id = r.id), '[]'::jsonb) AS entries
FROM drift_reports r
ORDER BY r.finished_at DESC, r.id DESC
LIMIT 1
