-- Helpdesk tickets as the helpdesk last reported them (Zendesk webhooks). Append-only migration.
--
-- Which customer a ticket belongs to is NOT stored here: it is the `zendesk_ticket` identity the
-- dispatcher links when the create_ticket job is done, and identities follow merges. A ticket that
-- is linked to a customer and has no row here (no webhook yet) counts as open.
CREATE TABLE support_tickets (
  ticket_id     text PRIMARY KEY,
  -- open (new, open, pending, hold) | solved | closed (closed, archived, deleted, scrubbed)
  status        text NOT NULL CHECK (status IN ('open', 'solved', 'closed')),
  -- The ticket's external_id when the helpdesk reported it: the escalation id Handoff created it for.
  escalation_id text,
  -- When the helpdesk says the status changed; an older report never overwrites a newer one.
  status_at     timestamptz NOT NULL,
  solved_at     timestamptz,
  first_seen_at timestamptz NOT NULL DEFAULT now()
);
