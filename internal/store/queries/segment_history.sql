-- segment_history: record the current segmentation as that of an as-of date.
-- Params: $1 as_of DATE, $2 computed_at TIMESTAMP.
INSERT INTO crm.buying_intent_history (as_of, company_id, buying_intent, computed_at)
SELECT $1::DATE, company_id, buying_intent, $2::TIMESTAMP
FROM crm.customer_buying_intent
