-- diff_dates: the as-of dates recorded in crm.buying_intent_history, newest
-- first, with their number of companies.
-- Returns: as_of, n.
SELECT as_of, count(*) AS n
FROM crm.buying_intent_history
GROUP BY as_of
ORDER BY as_of DESC
