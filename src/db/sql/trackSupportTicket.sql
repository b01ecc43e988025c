-- A helpdesk ticket's reported status, and what else the customer still has open, in ONE round trip.
-- Runs inside record()'s transaction AFTER the customer row is locked, so two resolutions for one
-- customer serialise and the second sees the first's row (READ COMMITTED: each statement reads what
-- has committed when it starts).
--   $1 ticket id  $2 status (open|solved|closed)  $3 escalation id (NULL: unknown)  $4 reported at
--   $5 the live customer's id
-- Returns the customer's OTHER open tickets (linked `zendesk_ticket` identities not reported solved
-- or closed) and how many create_ticket jobs are still queued or running for them (a ticket about
-- to exist, or a new request about to reopen one). The CTE's write is invisible to the SELECT; the
-- ticket itself is excluded by id, so that does not matter.
WITH saved AS (
  INSERT INTO support_tickets (ticket_id, status, escalation_id, status_at, solved_at)
  VALUES ($1::text, $2::text, $3::text, $4::timestamptz, CASE WHEN $2::text = 'open' THEN NULL ELSE $4::timestamptz END)
  ON CONFLICT (ticket_id) DO UPDATE
  SET status = EXCLUDED.status,
      escalation_id = COALESCE(EXCLUDED.escalation_id, support_tickets.escalation_id),
      status_at = EXCLUDED.status_at,
      solved_at = CASE WHEN EXCLUDED.status = 'open' THEN NULL ELSE COALESCE(support_tickets.solved_at, EXCLUDED.solved_at) END
  WHERE support_tickets.status_at <= EXCLUDED.status_at
)
SELECT
  COALESCE((
    SELECT array_agg(i.value ORDER BY i.value)
    FROM identities i
    WHERE i.customer_id = $5::text AND i.kind = 'zendesk_ticket' AND i.value <> $1::text
      AND NOT EXISTS (SELECT 1 FROM support_tickets s WHERE s.ticket_id = i.value AND s.status <> 'open')
  ), '{}'::text[]) AS open_tickets,
  (SELECT count(*)::integer FROM jobs j
   WHERE j.customer_id = $5::text AND j.connector = 'zendesk' AND j.kind = 'create_ticket' AND j.status IN ('pending', 'running')) AS queued_tickets
