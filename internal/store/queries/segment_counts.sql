-- segment_counts: companies per segment in crm.customer_buying_intent.
-- Returns: buying_intent, n.
SELECT buying_intent, count(*) AS n
FROM crm.customer_buying_intent
GROUP BY buying_intent
