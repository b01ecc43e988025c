-- Reconcile: Handoff's side of a page of live customers, in id order ($1 = the last id of the previous
-- page, '' first; $2 = page size; $3 = one customer id, or NULL for all). Per customer: linked Stripe
-- customers, the newest Stripe event's time, the newest HubSpot upsert and Zendesk ticket job (and whether
-- one is queued or running now), the linked tickets with the status Handoff last heard, and when support last
-- became needs_support (the newest timeline row that moved it there; NULL: none on record).
SELECT c.id, c.email, c.lifecycle, c.support, c.updated_at,
       COALESCE((SELECT array_agg(i.value ORDER BY i.value) FROM identities i
                 WHERE i.customer_id = c.id AND i.kind = 'stripe_customer'), '{}') AS stripe_customers,
       (SELECT max(e.occurred_at) FROM inbox_events e WHERE e.customer_id = c.id AND e.source = 'stripe') AS last_stripe_event_at,
       crm.id AS crm_job_id, crm.status AS crm_status, COALESCE(crm.finished_at, crm.updated_at) AS crm_at,
       (crm.result -> 'customProperties') IS NOT NULL AS crm_custom_missing,
       EXISTS (SELECT 1 FROM jobs j WHERE j.customer_id = c.id AND j.connector = 'hubspot' AND j.kind = 'upsert_contact'
                 AND j.status IN ('pending', 'running')) AS crm_in_flight,
       tk.id AS ticket_job_id, tk.status AS ticket_status, COALESCE(tk.finished_at, tk.updated_at) AS ticket_at,
       EXISTS (SELECT 1 FROM jobs j WHERE j.customer_id = c.id AND j.connector = 'zendesk' AND j.kind = 'create_ticket'
                 AND j.status IN ('pending', 'running')) AS ticket_in_flight,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('id', i.value, 'status', s.status, 'status_at', s.status_at) ORDER BY i.value)
                 FROM identities i LEFT JOIN support_tickets s ON s.ticket_id = i.value
                 WHERE i.customer_id = c.id AND i.kind = 'zendesk_ticket'), '[]'::jsonb) AS tickets,
       (SELECT max(t.at) FROM timeline t WHERE t.customer_id = c.id AND t.detail -> 'support' ->> 'to' = 'needs_support') AS support_since
FROM customers c
LEFT JOIN LATERAL (
  SELECT j.id, j.status, j.finished_at, j.updated_at, j.result FROM jobs j
  WHERE j.customer_id = c.id AND j.connector = 'hubspot' AND j.kind = 'upsert_contact'
  ORDER BY j.id DESC LIMIT 1
) crm ON true
LEFT JOIN LATERAL (
  SELECT j.id, j.status, j.finished_at, j.updated_at FROM jobs j
  WHERE j.customer_id = c.id AND j.connector = 'zendesk' AND j.kind = 'create_ticket'
  ORDER BY j.id DESC LIMIT 1
) tk ON true
WHERE c.merged_into IS NULL AND c.id > $1::text AND ($3::text IS NULL OR c.id = $3::text)
ORDER BY c.id
LIMIT $2::integer
