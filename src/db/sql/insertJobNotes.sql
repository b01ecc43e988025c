-- One timeline line per delivered effect that reported one ("Zendesk ticket #42 created"), on the customer
-- the job ran for, linked to the job's cause. $1: [{job_id, customer_id, note}].
INSERT INTO timeline (customer_id, inbox_id, kind, detail)
SELECT n.customer_id, j.inbox_id, 'effect', jsonb_build_object('job_id', j.id, 'connector', j.connector, 'kind', j.kind, 'note', n.note)
FROM jsonb_to_recordset($1::jsonb) AS n(job_id bigint, customer_id text, note text)
JOIN jobs j ON j.id = n.job_id
