-- Dashboard "/": what waits for the founder: firing alert incidents and chatbot actions awaiting review.
SELECT
  (SELECT count(*) FROM alert_incidents WHERE resolved_at IS NULL)::integer AS firing,
  (SELECT count(*) FROM chatbot_decisions WHERE review = 'pending')::integer AS reviews
