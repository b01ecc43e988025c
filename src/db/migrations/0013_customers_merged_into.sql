-- Merged records by the record they were merged into. Following merges BACKWARDS (which records now belong
-- to a customer: chatbotStanding counts the chatbot actions of all of them) otherwise scans every customer
-- once per step, on every chatbot request. Tiny: only merged records are in it.
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
