-- The chatbot action gateway (src/chatbot): every action the bot asked for, what the gateway decided and why.
-- Append-only: never edit a released migration; add the next number.

CREATE TABLE chatbot_decisions (
  id              text PRIMARY KEY,
  conversation_id text NOT NULL,
  -- The customer the decision concerns (NULL: nobody matched and nothing was executed). A merge moves it
  -- to the survivor (moveChatbotDecisions), like the customer's jobs and timeline.
  customer_id     text REFERENCES customers (id),
  -- The request's identities as sent (normalised email, the app's user id).
  email           text,
  user_id         text,
  action          text NOT NULL,
  -- The user's words: stored for review and the ticket, never logged.
  message         text NOT NULL,
  bot_confidence  double precision,
  metadata        jsonb NOT NULL DEFAULT '{}',
  -- Classifier output: {classifier, category, confidence, urgent, signals, injection, fallback?}.
  classification  jsonb NOT NULL,
  category        text NOT NULL,
  priority        text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal')),
  -- The gateway's answer, never changed afterwards.
  decision        text NOT NULL CHECK (decision IN ('executed', 'needs_review', 'rejected')),
  rule            text NOT NULL,
  reason          text NOT NULL,
  -- Set for needs_review only: pending until the founder approves (the action runs) or rejects (dropped).
  review          text CHECK (review IN ('pending', 'approved', 'rejected')),
  reviewed_at     timestamptz,
  -- The effect, once executed or approved: its inbox event and its main outbox job (if it queued one).
  inbox_id        bigint REFERENCES inbox_events (id),
  job_id          bigint REFERENCES jobs (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((decision = 'needs_review') = (review IS NOT NULL))
);
-- The per-customer rate limit counts executed decisions in a trailing window.
CREATE INDEX chatbot_decisions_customer ON chatbot_decisions (customer_id, created_at);
CREATE INDEX chatbot_decisions_review ON chatbot_decisions (review, created_at) WHERE review IS NOT NULL;
CREATE INDEX chatbot_decisions_conversation ON chatbot_decisions (conversation_id);
