-- segment_list: every company's segment, ordered by company id.
-- Returns: company_id, buying_intent.
SELECT company_id, buying_intent
FROM crm.customer_buying_intent
ORDER BY company_id
